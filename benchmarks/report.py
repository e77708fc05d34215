"""The table printed after a run, and benchmarks/RESULTS.md.

RESULTS.md is rewritten above the line `KEEP` and kept below it: the analysis
written by hand (where the time goes, what would move a missed target)
survives each run.
"""

import datetime
import os
import tempfile

KEEP = "<!-- Everything below this line is kept when the benchmark rewrites this file. -->"


def _fmt(value, unit):
    if unit == "µs/op":
        return f"{value:.2f} µs/op"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:.3f} s"


def _met(w):
    return {True: "yes", False: "NO", None: "n/a"}[w.met] if not w.skipped else "skipped"


def rows(workloads):
    """(workload, implementation, median, ratio to baseline, ratio to torch) per line."""
    out = []
    for w in workloads:
        if w.skipped:
            out.append((f"{w.key} {w.title}", "-", w.skipped, "", ""))
            continue
        torch_name = next((k for k in w.times if k.startswith("torch")), None)
        for j, (name, value) in enumerate(w.times.items()):
            base = w.ratio(name)
            vs_torch = (w.ratio(name, torch_name)
                        if torch_name and name != torch_name and w.baseline != torch_name else None)
            out.append((f"{w.key} {w.title}" if j == 0 else "", name, _fmt(value, w.unit),
                        "" if base is None or name == w.baseline else f"{base:.2f}x",
                        "" if vs_torch is None else f"{vs_torch:.2f}x"))
        for label, text in w.extra:
            out.append(("", label, text, "", ""))
    return out


def text_table(workloads):
    header = ("workload", "implementation", "median", "vs baseline", "vs torch")
    body = [header] + rows(workloads)
    widths = [max(len(r[i]) for r in body) for i in range(len(header))]
    lines = ["  ".join(c.ljust(wd) for c, wd in zip(r, widths)).rstrip() for r in body]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    lines.append("")
    lines.append("targets:")
    for w in workloads:
        lines.append(f"  {w.key} [{_met(w)}] {w.target}: {w.headline or w.skipped}")
        lines.extend(f"       {note}" for note in w.notes)
    return "\n".join(lines)


def markdown(workloads, facts, quick):
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    out = ["# Benchmark results", "",
           f"Written by `python -m benchmarks{' --quick' if quick else ''}` on {when}.", "",
           "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()), "",
           "Float32 throughout. Times are medians of repetitions after warm-up. Each workload "
           "runs in a fresh process, with all of its implementations taking turns in that "
           "process. \"vs baseline\" divides by the workload's baseline "
           "(numpy with forward and backward written out by hand, unless the workload says "
           "otherwise); below 1 is faster.", "",
           "## Targets", "",
           "| | target | met | result |", "| --- | --- | --- | --- |"]
    for w in workloads:
        out.append(f"| {w.key} | {w.target} | {_met(w)} | {w.headline or w.skipped} |")
    out += ["", "## Measurements", "",
            "| workload | implementation | median | vs baseline | vs torch |",
            "| --- | --- | --- | --- | --- |"]
    out += ["| " + " | ".join(r) + " |" for r in rows(workloads)]
    notes = [(w.key, n) for w in workloads for n in w.notes]
    if notes:
        out += ["", "Notes from this run:", ""] + [f"- {k}: {n}" for k, n in notes]
    return "\n".join(out) + "\n"


def write_results(path, workloads, facts, quick):
    """Rewrite the generated part of `path`, keep the hand-written part, atomically."""
    kept = f"\n{KEEP}\n"
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if KEEP in old:
            kept = "\n" + KEEP + old.split(KEEP, 1)[1]
    text = markdown(workloads, facts, quick) + kept
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
