"""viz.animate: one self-contained HTML file, and its keyboard stepping in a real browser."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import viz
from viz import examples

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def steps_json(page):
    body = re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', page, re.S)
    return json.loads(body.group(1))


@pytest.fixture(scope="module")
def stepper():
    loss, _ = examples.lecture_mlp(retain_graph=True)
    return viz.animate(loss, title="2-2-1 <net>")


def test_the_page_is_one_file_that_needs_no_network(stepper):
    page = stepper.html
    assert "{{" not in page, "every placeholder is filled"
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page), "nothing loaded"
    # the only URLs are XML namespaces and the SVG DOCTYPE is gone
    assert set(re.findall(r"https?://[^\s\"']+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<!DOCTYPE svg" not in page and page.count("<svg") == 1
    assert "<title>2-2-1 &lt;net&gt;</title>" in page


def test_one_record_per_step_pointing_at_drawn_elements(stepper):
    records = steps_json(stepper.html)
    assert len(records) == len(stepper.steps) == 33
    svg_ids = set(re.findall(r'<g id="(\w+)" class="(?:node|edge)"', stepper.html))
    for rec in records:
        assert rec["node"] in svg_ids, rec
        assert rec["op"] is None or rec["op"] in svg_ids
        assert set(rec["edges"]) <= svg_ids
    first = records[0]
    assert first["title"] == "L" and first["upstream"] == "1" and first["op"]
    assert [row[0] for row in first["rows"]] == ["(add output)"]
    sigmoid = next(r for r in records if r["title"] == "p")
    z = np.array(examples.MLP_OUTPUT[0][0]) @ [0.4, 0.3] + examples.MLP_OUTPUT[1][0]  # h = (0.4, 0.3)
    p = 1 / (1 + np.exp(-z))
    assert sigmoid["rows"][0][1] == viz.dot.fmt_number(p * (1 - p)), "local = p (1 - p)"


def test_save_and_path_write_the_same_page(tmp_path, stepper):
    saved = stepper.save(tmp_path / "s.html")
    assert saved.read_text() == stepper.html
    loss, _ = examples.lecture_mlp(retain_graph=True)
    viz.animate(loss, tmp_path / "t.html", title="2-2-1 <net>")
    assert (tmp_path / "t.html").read_text() == stepper.html


def test_jupyter_display_is_an_iframe_holding_the_whole_page(stepper):
    shown = stepper._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in shown
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(srcdoc) == stepper.html


def test_animate_of_a_non_value_is_a_type_error():
    with pytest.raises(TypeError, match="animate: root must be a Tensor or a Scalar"):
        viz.animate("loss")


def _browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run_browser(browser, profile, *args):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}"]
    done = subprocess.run([browser, *flags, *args], capture_output=True, timeout=120, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_next_key_moves_the_highlight_and_the_panel_to_the_second_step(tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no chromium found")
    loss, _ = examples.lecture_rnn(retain_graph=True)
    stepper = viz.animate(loss, tmp_path / "stepper.html", group_by="time")
    records = steps_json(stepper.html)
    url = (tmp_path / "stepper.html").as_uri()

    def state(hash_):
        dom = _run_browser(browser, tmp_path / f"profile{hash_}", "--dump-dom", url + hash_)
        body = re.search(r'<body([^>]*)>', dom).group(1)
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', body))
        heading = re.search(r'<aside id="panel"[^>]*><h2>(.*?)</h2>', dom).group(1)
        current = re.findall(r'<g id="(\w+)" class="node current"', dom)
        return attrs, html.unescape(heading), current

    before, heading0, current0 = state("")
    after, heading1, current1 = state("#steps=1")
    assert before["data-ready"] == after["data-ready"] == "1", "the page's script ran"
    assert before["data-step"] == "0" and before["data-node"] == records[0]["node"]
    assert after["data-step"] == "1" and after["data-node"] == records[1]["node"]
    assert records[0]["node"] != records[1]["node"]
    assert current0 == [records[0]["node"]] and current1 == [records[1]["node"]]
    assert heading0.startswith(f"Step 1 of {len(records)}")
    assert heading1.startswith(f"Step 2 of {len(records)}: {records[1]['title']}")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "stepper_step2.png"
    _run_browser(browser, tmp_path / "profile-shot", "--window-size=1400,900",
                 f"--screenshot={shot}", url + "#steps=1")
    assert shot.read_bytes()[:4] == b"\x89PNG"
