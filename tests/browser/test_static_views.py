"""What a reader without a kernel sees: nbconvert HTML and the offline ``mlops-course slides`` deck.

A slider cell executed with the course's widget pattern must show its figure (an ``<img>``), never
the widget's text repr (``VBox(children=(FloatLogSlider(...``), in nbconvert HTML and in the decks;
the decks must work with the network cut: reveal.js navigates with the arrow keys and MathJax
typesets the formulas, loading only files shipped in the package.

The notebooks are copied and executed afresh (the committed outputs may predate the package's
current widget code); the deck test needs Debian's chromium and Playwright (skipped without, failed
under CI like the JupyterLab test).
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from mlops_course.notebooks import SLIDES_ASSETS, execute_notebook, export_slides
from mlops_course.viz import WIDGET_MIME
from tests.browser.driver import CHROMIUM_ARGS, require_chromium

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "07_differential_privacy.ipynb"  # two-panel ε slider and many formulas


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("executed")
    path = folder / NOTEBOOK.name
    shutil.copy(NOTEBOOK, path)
    execute_notebook(path)
    return path


#: index of the slide on screen (reveal.js marks it "present")
CURRENT = "() => [...document.querySelectorAll('.slides > section')].findIndex(s => s.classList.contains('present'))"


def _go_to(page, target: int) -> None:
    """Move to horizontal slide ``target`` with the arrow keys, as a presenter would."""
    for _ in range(200):
        current = page.evaluate(CURRENT)
        if current == target:
            return
        page.keyboard.press("ArrowRight" if current < target else "ArrowLeft")
        page.wait_for_timeout(100)
    raise AssertionError(f"could not reach slide {target}")


def _slider_outputs(nb: nbformat.NotebookNode) -> list[tuple[int, dict]]:
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.outputs if WIDGET_MIME in o.get("data", {})]


def test_executed_slider_cells_store_one_output_with_the_figure(executed):
    nb = nbformat.read(executed, as_version=4)
    sliders = _slider_outputs(nb)
    assert sliders, "the notebook has no slider cell"
    for index, output in sliders:
        cell = nb.cells[index]
        assert len(cell.outputs) == 1, f"cell {index}: {len(cell.outputs)} outputs, expected one figure"
        assert "image/png" in output["data"], f"cell {index}: no static figure beside the widget view"
        assert "VBox(" not in output["data"].get("text/plain", "")
    assert "widgets" not in nb.metadata  # widget state is never stored: readers get the PNG


def test_nbconvert_html_shows_each_slider_figure_and_no_widget_repr(executed):
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "VBox(" not in html and "FloatLogSlider" not in html
    for index, output in _slider_outputs(nb):
        png = output["data"]["image/png"].replace("\n", "")
        assert f'src="data:image/png;base64,{png[:200]}' in html, f"cell {index}: its figure is not an <img>"


def test_offline_deck_navigates_and_renders_math(executed, tmp_path):
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    deck = export_slides(executed, tmp_path / "slides")
    html = deck.read_text()
    assert "VBox(" not in html
    # scripts, styles and images load from disk (links in the text, <a href="https://...">, may stay)
    assert not re.search(r"""(?:src=|<link[^>]*href=|import [^;]*from )["']https?://""", html), \
        "the deck loads something from the web"
    blocked: list[str] = []
    missing: list[str] = []
    requested: set[str] = set()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})

            def route(r):  # the network is cut: only files on disk load
                if r.request.url.startswith("file://"):
                    requested.add(r.request.url.split("?")[0])
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("requestfailed", lambda req: missing.append(req.url))
            page.goto(deck.as_uri())
            # reveal.js is loaded through RequireJS (no window.Reveal): it marks the deck "ready"
            page.wait_for_function("() => document.querySelector('.reveal.ready') !== null", timeout=60_000)
            # MathJax typesets every formula of the deck (CommonHTML output elements)
            page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                                   " && document.querySelectorAll('.mjx-chtml').length > 20", timeout=120_000)
            math_slide = page.evaluate("""() => [...document.querySelectorAll('.slides > section')]
                .findIndex(x => x.querySelector('.mjx-chtml'))""")
            assert math_slide >= 0
            # no raw TeX left on any slide: every $...$ became MathJax output
            text = page.evaluate("() => document.querySelector('.slides').innerText")
            assert not re.search(r"\$[^$\n]{1,80}\$", text), re.search(r"\$[^$\n]{1,80}\$", text).group(0)
            assert "\\varepsilon" not in text
            # the arrow keys move between slides
            first = page.evaluate(CURRENT)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => ({CURRENT})() === {first + 1}", timeout=10_000)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => ({CURRENT})() === {first + 2}", timeout=10_000)
            page.keyboard.press("ArrowLeft")
            page.wait_for_function(f"() => ({CURRENT})() === {first + 1}", timeout=10_000)
            # the reveal.js theme applied (the vendored CSS loaded): slide text uses its font
            font = page.evaluate("() => getComputedStyle(document.querySelector('.reveal')).fontFamily")
            assert "Source Sans Pro" in font, font
            shots = Path(os.environ.get("MLOPS_COURSE_SCREENSHOTS", ROOT / "build" / "screenshots"))
            shots.mkdir(parents=True, exist_ok=True)
            _go_to(page, math_slide)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / "offline-deck-math-slide.png"))
            slider_slide = page.evaluate("""() => [...document.querySelectorAll('.slides > section')]
                .findIndex(x => x.querySelector('img[src^="data:image/png"]'))""")
            if slider_slide >= 0:
                _go_to(page, slider_slide)
                for _ in range(40):  # down the slide's vertical stack to the figure
                    if page.evaluate("() => !!document.querySelector("
                                     "'.slides > section.present > section.present img')"):
                        break
                    page.keyboard.press("ArrowDown")
                    page.wait_for_timeout(150)
                page.wait_for_timeout(1000)
                page.screenshot(path=str(shots / "offline-deck-figure-slide.png"))
        finally:
            browser.close()
    assert blocked == [], f"the deck tried the network: {blocked[:5]}"
    assert missing == [], f"files the deck needs but the package does not ship: {missing[:5]}"
    # every loaded asset comes from the copy of the package's vendored files beside the deck
    static = deck.parent / "_static"
    for url in requested - {deck.as_uri()}:
        assert url.startswith(static.as_uri()), url
        relative = url[len(static.as_uri()) + 1:]
        assert (SLIDES_ASSETS / relative).is_file(), relative


def test_vendored_assets_carry_their_licences():
    for folder in ("reveal.js", "mathjax", "jquery", "requirejs"):
        licences = list((SLIDES_ASSETS / folder).glob("LICENSE*"))
        assert licences and licences[0].stat().st_size > 500, folder
    size = sum(p.stat().st_size for p in SLIDES_ASSETS.rglob("*") if p.is_file())
    assert size < 4_000_000, f"vendored slide assets grew to {size / 1e6:.1f} MB"
