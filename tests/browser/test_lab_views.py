"""JupyterLab as an instructor first sees it, measured in the rendered page (headless Chromium).

* ``mlops-course lab --presentation`` makes code and text bigger: the computed font size of a code
  cell's editor and of a markdown cell's text, with and without the flag.
* ``mlops-course lab`` lands on ``notebooks/00_introduction.ipynb`` and hides build artefacts
  from the file browser.
* A notebook executed with the course's widget pattern, opened *without running it*, shows each
  slider cell's figure as an image and never the widget's text repr (``VBox(``).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from mlops_course.cli import PRESENTATION_FONTS
from mlops_course.notebooks import execute_notebook
from mlops_course.viz import WIDGET_MIME
from tests.browser.driver import CHROMIUM_ARGS, TOKEN, Lab, require_chromium

ROOT = Path(__file__).resolve().parents[2]
SLIDER_NOTEBOOK = "07_differential_privacy.ipynb"

FONT_SIZES = """() => {
  const px = (el) => el ? parseFloat(getComputedStyle(el).fontSize) : null;
  return {code: px(document.querySelector('.jp-CodeCell .cm-content')),
          text: px(document.querySelector('.jp-MarkdownCell .jp-RenderedMarkdown p'))}; }"""


def _open(browser, lab: Lab, path: str, workspace: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(lab.url(f"lab/workspaces/{workspace}/tree/{path}") + "&reset")
    page.wait_for_selector(".jp-CodeCell .cm-content", timeout=120_000)
    page.wait_for_selector(".jp-MarkdownCell .jp-RenderedMarkdown p", timeout=120_000)
    page.wait_for_timeout(1500)  # settings (theme overrides) apply once they have loaded
    return page


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory) -> tuple[Path, list[Path]]:
    """00 as committed, and the slider notebook executed afresh with the package's widget code."""
    folder = tmp_path_factory.mktemp("executed")
    executed = folder / SLIDER_NOTEBOOK
    shutil.copy(ROOT / "notebooks" / SLIDER_NOTEBOOK, executed)
    execute_notebook(executed)
    return folder, [ROOT / "notebooks" / "00_introduction.ipynb", executed]


@pytest.fixture(scope="module")
def measured(course_copy, tmp_path_factory):
    """Font sizes with and without --presentation, the landing page, the file browser, the static view."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    _, notebooks = course_copy
    shots = ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    result: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for mode, args in (("normal", ()), ("presentation", ("--presentation",))):
                workdir = tmp_path_factory.mktemp(mode)
                lab = Lab(ROOT, notebooks, workdir, lab_args=args)
                (workdir / "mlops_course.egg-info").mkdir()  # build artefacts the file browser must hide
                (workdir / "build").mkdir()
                (workdir / "__pycache__").mkdir()
                try:
                    lab.wait_ready()
                    page = _open(browser, lab, "notebooks/00_introduction.ipynb", mode)
                    result[mode] = page.evaluate(FONT_SIZES)
                    page.screenshot(path=str(shots / f"lab-fonts-{mode}.png"))
                    page.close()
                    if mode == "normal":
                        # the landing page: the bare URL opens the introduction notebook
                        page = browser.new_page(viewport={"width": 1400, "height": 1000})
                        page.goto(lab.url(""))
                        page.wait_for_selector(".jp-NotebookPanel", timeout=120_000)
                        page.wait_for_timeout(1000)
                        result["landing"] = page.evaluate(
                            "() => window.jupyterapp.shell.currentWidget.context.path")
                        # what the file browser lists at the course root (it shows what this API returns)
                        result["files"] = page.evaluate(
                            "async () => (await (await fetch('/api/contents/?token=" + TOKEN + "')).json())"
                            ".content.map(x => x.name)")
                        page.close()
                        # the executed slider notebook, opened and NOT run
                        page = _open(browser, lab, f"notebooks/{SLIDER_NOTEBOOK}", "static")
                        result["static"] = page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
                            .map(c => ({imgs: c.querySelectorAll('.jp-OutputArea-output img').length,
                                        text: c.querySelector('.jp-OutputArea') ? c.querySelector('.jp-OutputArea').innerText : ''}))""")
                        result["static_vbox"] = page.evaluate("() => document.body.innerText.includes('VBox(')")
                        page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
                        page.screenshot(path=str(shots / "lab-slider-cell-without-kernel.png"))
                        page.close()
                finally:
                    lab.stop()
        finally:
            browser.close()
    return result


def test_presentation_mode_makes_code_and_text_bigger_in_the_page(measured):
    normal, big = measured["normal"], measured["presentation"]
    assert None not in normal.values() and None not in big.values(), (normal, big)
    want_code = float(PRESENTATION_FONTS["code-font-size"].removesuffix("px"))
    want_text = float(PRESENTATION_FONTS["content-font-size1"].removesuffix("px"))
    assert big["code"] == want_code and big["text"] == want_text, big
    assert normal["code"] < want_code and normal["text"] < want_text, normal  # JupyterLab's 13/14 px


def test_lab_lands_on_the_introduction_and_hides_artefacts(measured):
    assert measured["landing"] == "notebooks/00_introduction.ipynb"
    files = set(measured["files"])
    assert "notebooks" in files, files
    assert not files & {"mlops_course.egg-info", "build", "__pycache__"}, files


def test_slider_figures_show_without_a_kernel(measured, course_copy):
    folder, _ = course_copy
    nb = nbformat.read(folder / SLIDER_NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    shown = measured["static"]
    assert len(shown) == len(code)
    slider_cells = [i for i, c in enumerate(code) if any(WIDGET_MIME in o.get("data", {}) for o in c.outputs)]
    assert slider_cells
    for i in slider_cells:
        assert shown[i]["imgs"] == 1, f"code cell {i}: {shown[i]}"
        assert "VBox(" not in shown[i]["text"]
    assert not measured["static_vbox"]
