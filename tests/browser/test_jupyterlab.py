"""The live course in a real browser: every lecture notebook runs in JupyterLab without an error,
and in every slider cell moving the slider redraws its single figure in place: one figure before
and after the move, different pixels, no widget repr (``VBox(``) anywhere (nbval cannot see this).

Needs Debian's ``chromium`` (``.ci/run`` installs it with apt). Without it the test is skipped
locally with the install command, and fails under CI (``CI`` set), where it must run.
Screenshots go to ``build/screenshots/`` (or ``$MLOPS_COURSE_SCREENSHOTS``): look at them.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.browser.driver import Lab, require_chromium, run_notebooks

ROOT = Path(__file__).resolve().parents[2]
# MLOPS_COURSE_BROWSER_NOTEBOOKS="05_*" limits a local run to some notebooks (CI runs them all)
NOTEBOOKS = sorted((ROOT / "notebooks").glob(os.environ.get("MLOPS_COURSE_BROWSER_NOTEBOOKS", "*") + ".ipynb"))


@pytest.fixture(scope="module")
def browser_runs(tmp_path_factory):
    chromium = require_chromium()
    shots = Path(os.environ.get("MLOPS_COURSE_SCREENSHOTS", ROOT / "build" / "screenshots"))
    lab = Lab(ROOT, NOTEBOOKS, tmp_path_factory.mktemp("lab"))
    started = time.monotonic()
    try:
        lab.wait_ready()
        results = run_notebooks(lab, [p.name for p in NOTEBOOKS], shots, chromium)
    finally:
        lab.stop()
    lines = [f"browser test: {len(NOTEBOOKS)} notebooks in {time.monotonic() - started:.0f} s (wall)", "",
             "| notebook | seconds | slider cells | figures before/after a move | pixels changed | "
             "`VBox(` text | errors | problem |",
             "|---|---:|---:|---|---|---|---:|---|"]
    lines += [f"| {r.name} | {r.seconds:.0f} | {r.sliders} | "
              f"{', '.join(f'{c.figures_before}/{c.figures_after}' for c in r.cells)} | "
              f"{', '.join(str(c.pixels_changed) for c in r.cells)} | {r.vbox_text} | {len(r.errors)} | {r.problem} |"
              for r in results.values()]
    (shots / "summary.md").write_text("\n".join(lines) + "\n")  # the notebook x widget table
    return results, lab


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab_and_its_slider_redraws(browser_runs, name):
    run = browser_runs[0][name]
    assert not run.problem, run.problem
    assert run.errors == [], run.errors
    assert not run.news_popup, "JupyterLab asked to fetch news: the course must stay offline and quiet"
    assert run.sliders >= 1, f"{name} has no slider: every lecture notebook needs an interactive demo"
    assert len(run.cells) == run.sliders, run.problem
    for c in run.cells:  # one figure, redrawn in place: the same single image, new pixels
        assert (c.figures_before, c.figures_after) == (1, 1), f"cell {c.index}: {c}"
        assert c.pixels_changed, f"cell {c.index}: moving its slider left the figure unchanged"
    assert not run.vbox_text, f"{name} shows a widget repr (VBox(...) as text"
    assert run.screenshot is not None and run.screenshot.stat().st_size > 10_000


def test_lab_shut_down_cleanly(browser_runs):
    import urllib.request

    _, lab = browser_runs
    assert lab.proc.poll() is not None, "JupyterLab is still running after the browser test"
    with pytest.raises(OSError):
        urllib.request.urlopen(lab.url("api"), timeout=2)
