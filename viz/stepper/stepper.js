// The backprop stepper: walks the steps (written by viz.animate as JSON) over the
// inline SVG of the graph. Keyboard: ArrowRight/ArrowLeft (or n/p) step, space
// plays, Home/End jump. A location hash "#steps=N" presses next N times at load
// (through the same keyboard handler) so a page can be checked headless.
(function () {
  "use strict";
  var steps = JSON.parse(document.getElementById("steps-data").textContent);
  var panel = document.getElementById("panel");
  var counter = document.getElementById("counter");
  var playButton = document.getElementById("play");
  var graph = document.getElementById("graph");
  var fitBox = document.getElementById("fit");
  var index = 0;
  var timer = null;
  var marked = [];

  function element(id) { return id ? document.getElementById(id) : null; }

  function mark(id, cls) {
    var el = element(id);
    if (el) { el.classList.add(cls); marked.push([el, cls]); }
  }

  function clearMarks() {
    marked.forEach(function (pair) { pair[0].classList.remove(pair[1]); });
    marked = [];
  }

  function add(parent, tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined && text !== null) { el.textContent = text; }
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }

  function fillPanel(step, k) {
    panel.textContent = "";
    add(panel, "h2", "Step " + (k + 1) + " of " + steps.length + ": " + step.title);
    if (step.scope) { add(panel, "div", "scope " + step.scope, "scope"); }
    add(panel, "div", step.what);
    var up = add(panel, "div", null);
    add(up, "strong", "upstream ");
    add(up, "span", step.upstream, "number");
    if (step.formula) { add(panel, "div", step.formula, "formula"); }
    if (step.rows.length) {
      var table = add(panel, "table");
      var head = add(table, "tr");
      ["input", "local", "downstream"].forEach(function (h) { add(head, "th", h); });
      step.rows.forEach(function (row) {
        var tr = add(table, "tr");
        row.forEach(function (cell) { add(tr, "td", cell); });
      });
    }
  }

  function show(k) {
    if (!steps.length) { counter.textContent = "no steps"; return; }
    index = Math.max(0, Math.min(k, steps.length - 1));
    clearMarks();
    for (var j = 0; j < index; j++) { mark(steps[j].node, "done"); }
    var step = steps[index];
    mark(step.node, "current");
    mark(step.op, "current-op");
    step.edges.forEach(function (id) { mark(id, "flow"); });
    fillPanel(step, index);
    counter.textContent = (index + 1) + " / " + steps.length;
    document.body.setAttribute("data-step", String(index));
    document.body.setAttribute("data-node", step.node || "");
    reveal(element(step.node));
  }

  // keep the current value in view when the graph is larger than its pane
  function reveal(el) {
    if (!el || !el.getBoundingClientRect) { return; }
    var box = el.getBoundingClientRect();
    var pane = graph.getBoundingClientRect();
    if (box.left < pane.left || box.right > pane.right) {
      graph.scrollLeft += box.left - pane.left - (pane.width - box.width) / 2;
    }
    if (box.top < pane.top || box.bottom > pane.bottom) {
      graph.scrollTop += box.top - pane.top - (pane.height - box.height) / 2;
    }
  }

  // small graphs are scaled to the pane's width; big ones keep their size and scroll
  function setFit(on) {
    graph.classList.toggle("fit", on);
    fitBox.checked = on;
  }

  function next() { show(index + 1); if (index === steps.length - 1) { stop(); } }
  function previous() { show(index - 1); }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "\u25B6 play";
  }

  function togglePlay() {
    if (timer !== null) { stop(); return; }
    if (index >= steps.length - 1) { show(0); }
    timer = setInterval(next, 900);
    playButton.textContent = "\u275A\u275A pause";
  }

  function onKey(event) {
    var key = event.key;
    if (key === "ArrowRight" || key === "ArrowDown" || key === "n") { stop(); next(); }
    else if (key === "ArrowLeft" || key === "ArrowUp" || key === "p") { stop(); previous(); }
    else if (key === " " || key === "Spacebar") { togglePlay(); }
    else if (key === "Home") { stop(); show(0); }
    else if (key === "End") { stop(); show(steps.length - 1); }
    else { return; }
    event.preventDefault();
  }

  document.addEventListener("keydown", onKey);
  document.getElementById("next").addEventListener("click", function () { stop(); next(); });
  document.getElementById("prev").addEventListener("click", function () { stop(); previous(); });
  document.getElementById("first").addEventListener("click", function () { stop(); show(0); });
  document.getElementById("last").addEventListener("click", function () { stop(); show(steps.length - 1); });
  playButton.addEventListener("click", togglePlay);
  fitBox.addEventListener("change", function () { setFit(fitBox.checked); reveal(element(steps[index] && steps[index].node)); });

  var svg = graph.querySelector("svg");
  var naturalWidth = svg ? svg.getBoundingClientRect().width : 0;
  setFit(naturalWidth > 0 && naturalWidth < 1.6 * graph.clientWidth);
  show(0);
  var wanted = /(?:^#|&)steps=(\d+)/.exec(window.location.hash);
  if (wanted) {
    for (var n = parseInt(wanted[1], 10); n > 0; n--) {
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    }
  }
  document.body.setAttribute("data-ready", "1");
}());
