"""Drive JupyterLab in headless Chromium the way an instructor uses it (test-only helper).

Starts ``mlops-course lab`` on loopback with a token in a temporary copy of the lecture notebooks
(so running them never touches the committed files), opens each notebook in its own tab, runs all
cells, collects error outputs from the notebook model, moves a slider in every slider cell and
checks that the cell shows exactly one figure before and after and that its pixels changed (the
course's widget pattern redraws in place), looks for widget reprs (``VBox(``) in the page, and saves
a screenshot. Chromium is Debian's
(``/usr/bin/chromium``); Playwright's own browser download is never used.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
TOKEN = "mlops-course-browser-test"
CHROMIUM = os.environ.get("MLOPS_COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def require_chromium() -> str:
    """Debian's chromium and Playwright, or skip (locally) / fail (under CI, where they must exist)."""
    import pytest

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"chromium not found at {CHROMIUM}: .ci/run must install it (apt-get install chromium)")
        pytest.skip("the browser test needs Debian's chromium: sudo apt-get install chromium")
    pytest.importorskip("playwright", reason="pip install -e '.[test]' brings playwright")
    return CHROMIUM

KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""
ALL_EXECUTED = """() => { const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.model.cells;
  for (let i = 0; i < cells.length; i++) { const c = cells.get(i);
    if (c.type === 'code' && c.sharedModel.getSource().trim() && c.executionCount === null) return false; }
  return w.sessionContext.session.kernel.status === 'idle'; }"""
ERRORS = """() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; const out = [];
  for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;
    for (const o of c.outputs.toJSON()) if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`); }
  return out; }"""


@dataclass
class NotebookRun:
    """What happened to one notebook in the browser."""

    name: str
    errors: list[str] = field(default_factory=list)
    sliders: int = 0
    slider_redrew: bool = False
    screenshot: Path | None = None
    seconds: float = 0.0
    problem: str = ""
    news_popup: bool = False
    vbox_text: bool = False
    cells: list = field(default_factory=list)  # one SliderCell per slider cell


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """``mlops-course lab`` on 127.0.0.1 with a token, in a copy of the course's notebooks."""

    def __init__(self, root: Path, notebooks: list[Path], workdir: Path, lab_args: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        (workdir / "notebooks").mkdir(parents=True)
        for path in notebooks:
            shutil.copy(path, workdir / "notebooks" / path.name)
        shutil.copy(root / "pyproject.toml", workdir / "pyproject.toml")
        self.port = free_port()
        env = dict(os.environ, MLOPS_COURSE_HOME=str(workdir / "home"), JUPYTER_RUNTIME_DIR=str(workdir / "rt"),
                   JUPYTER_CONFIG_DIR=str(workdir / "config"), JUPYTERLAB_SETTINGS_DIR=str(workdir / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"))
        self.log = open(workdir / "lab.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlops_course.cli", "lab", "--no-browser", "--port", str(self.port),
             "--root", str(workdir), *lab_args, "--", f"--IdentityProvider.token={TOKEN}",
             "--LabApp.expose_app_in_browser=True"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={TOKEN}"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(self.workdir / 'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url("api"), timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError("JupyterLab did not answer within the time limit")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.log.close()


def run_notebooks(lab: Lab, names: list[str], shots: Path, chromium: str, parallel: int = 3,
                  timeout_ms: int = 180_000) -> dict[str, NotebookRun]:
    """Open, run, check and screenshot each notebook, ``parallel`` tabs at a time."""
    from playwright.sync_api import sync_playwright

    shots.mkdir(parents=True, exist_ok=True)
    results: dict[str, NotebookRun] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for start in range(0, len(names), parallel):
                batch = names[start:start + parallel]
                pages = {}
                for name in batch:  # open the batch and start every notebook running at once
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(60_000)
                    run = results[name] = NotebookRun(name)
                    run.seconds = time.monotonic()
                    try:
                        # one JupyterLab workspace per tab (fresh: &reset), so tabs never share open
                        # documents or the "current widget" the checks below look at
                        page.goto(lab.url(f"lab/workspaces/{Path(name).stem}/tree/notebooks/{name}") + "&reset")
                        page.wait_for_function(KERNEL_IDLE, timeout=timeout_ms, polling=250)
                        # start Run All without awaiting its promise (it resolves only when every cell
                        # has run), so the tabs of a batch really run at the same time
                        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells');"
                                      " return true; }")
                        pages[name] = page
                    except Exception as exc:  # noqa: BLE001 - reported per notebook
                        run.problem = f"could not start: {exc}"
                        page.close()
                for name, page in pages.items():
                    _finish(page, results[name], shots, timeout_ms)
                    page.close()
        finally:
            browser.close()
    return results


#: the code cells holding a slider, as indices into the notebook's cells
SLIDER_CELLS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
  .map((c, i) => c.querySelector('.widget-slider') ? i : -1).filter(i => i >= 0)"""
VBOX_TEXT = "() => document.body.innerText.includes('VBox(')"


def cell(page, index: int):
    """The ``index``-th cell of the notebook on screen."""
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def figures(page, index: int) -> int:
    """How many figures (``<img>``) the cell's outputs show."""
    return cell(page, index).locator(".jp-OutputArea-output img").count()


def pixels(png: bytes):
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def move_slider(page, index: int, run: NotebookRun) -> None:
    """Move the first slider of cell ``index`` one step; check one figure before and after, and new pixels."""
    import numpy as np

    target = cell(page, index)
    before_count = figures(page, index)
    image = target.locator(".jp-OutputArea-output img").first
    image.scroll_into_view_if_needed()
    src = image.get_attribute("src")
    before = image.screenshot()
    handle = target.locator(".widget-slider .noUi-handle").first
    # one step, as an instructor would; then bigger moves, for demos whose figure a single step does not
    # change (a threshold step between two scores) or when a key press was lost
    for attempt, key in enumerate(("ArrowRight", "PageUp", "End")):
        handle.focus()
        page.keyboard.press(key)
        try:
            page.wait_for_function(
                "([i, s]) => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];"
                " const im = c && c.querySelector('.jp-OutputArea-output img');"
                " return im !== null && im.getAttribute('src') !== s; }",
                arg=[index, src], timeout=60_000, polling=250)
            break
        except Exception:  # noqa: BLE001 - retried, then reported
            if attempt == 2:
                raise
    page.wait_for_function(KERNEL_IDLE, timeout=120_000, polling=250)
    page.wait_for_timeout(500)
    after_count = figures(page, index)
    after = target.locator(".jp-OutputArea-output img").first.screenshot()
    a, b = pixels(before), pixels(after)
    changed = a.shape != b.shape or float(np.abs(a - b).max()) > 0.05
    run.cells.append(SliderCell(index, before_count, after_count, changed))


@dataclass
class SliderCell:
    """One slider cell: figures shown before and after a slider step, and whether the pixels changed."""

    index: int
    figures_before: int
    figures_after: int
    pixels_changed: bool


def _finish(page, run: NotebookRun, shots: Path, timeout_ms: int) -> None:
    try:
        page.wait_for_timeout(500)
        page.wait_for_function(ALL_EXECUTED, timeout=timeout_ms, polling=500)
        run.errors = page.evaluate(ERRORS)
        try:  # widget views render a moment after their cell finishes
            page.wait_for_selector(".widget-slider .noUi-handle", timeout=30_000)
        except Exception:  # noqa: BLE001 - no slider: reported by the count below
            pass
        slider_cells = page.evaluate(SLIDER_CELLS)
        run.sliders = len(slider_cells)
        for index in slider_cells:
            move_slider(page, index, run)
        run.slider_redrew = bool(run.cells) and all(
            c.figures_before == c.figures_after == 1 and c.pixels_changed for c in run.cells)
        run.vbox_text = page.evaluate(VBOX_TEXT)
        run.news_popup = page.get_by_text("official Jupyter news").count() > 0
        if slider_cells:
            cell(page, slider_cells[0]).scroll_into_view_if_needed()
        run.screenshot = shots / f"{Path(run.name).stem}.png"
        page.screenshot(path=str(run.screenshot))
    except Exception as exc:  # noqa: BLE001 - reported per notebook
        run.problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
        try:  # what the page showed when it went wrong
            page.screenshot(path=str(shots / f"{Path(run.name).stem}.failed.png"), timeout=30_000)
        except Exception:  # noqa: BLE001
            pass
    finally:
        run.seconds = time.monotonic() - run.seconds
