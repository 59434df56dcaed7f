"""What a student and the instructor see of a graded batch, in a real browser (issue 14, "Done means").

A small batch of unit 07 (the solution, the blank exercise, one partly done answer with a wrong
formula and markup in its code) is graded with the real CLI (``mlops-course grade DIR``, which also
writes ``class_report.html``) and turned into feedback pages (``mlops-course feedback``). Headless
Chromium (Debian's, never Playwright's download) opens the pages from disk with the network cut and
checks what is on screen: the score line, per-task points, the failed property's message with its
inputs and hint, the student's code as text (their ``<script>`` never runs), a layout that stays
inside the viewport with readable text, and the class report's figures and tables. Screenshots go
to ``build/screenshots/`` (``MLOPS_COURSE_SCREENSHOTS`` overrides).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_course.grading.batch import answer_cells
from mlops_course.grading.feedback import is_manual
from mlops_course.grading.notebook import cell_source
from tests._grading import load_notebook, with_answers
from tests.browser.driver import CHROMIUM_ARGS, require_chromium

ROOT = Path(__file__).resolve().parents[2]
UNIT = "07_differential_privacy"
SOLUTION = ROOT / "solutions" / f"{UNIT}.ipynb"
EXERCISE = ROOT / "exercises" / f"{UNIT}.ipynb"
SHOTS = Path(os.environ.get("MLOPS_COURSE_SCREENSHOTS", ROOT / "build" / "screenshots"))

#: markup in a student's code cell: shown as text, never run or rendered
INJECTED = ["# </pre><script>window.__pwned=1</script>",
            "# <img src=x onerror=\"window.__pwned=2\"><b id='injected'>bold?</b>"]
#: one long line, as students write: the code block scrolls, the page does not
LONG_LINE = "# " + "a very long comment that never wraps " * 12
#: a wrong formula (no square root): its property fails with the inputs, the expected σ and a hint
WRONG_SIGMA = '''def gaussian_sigma(sensitivity, epsilon, delta):
    """Forgot the square root."""
    return sensitivity * 2.0 * math.log(1.25 / delta) / epsilon
'''




def _cli(*args: str, results: Path | None = None) -> None:
    run = subprocess.run([sys.executable, "-m", "mlops_course.cli", *args],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    why = ""
    if run.returncode and results is not None:  # exit 3 under --quiet prints nothing: say which one failed
        for path in sorted(results.glob("*.results.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            why += f"\n{path.name}: {data.get('extra_data', {}).get('status')}: {str(data.get('output'))[:400]}"
    assert run.returncode == 0, f"mlops-course {' '.join(args)}: exit {run.returncode} {run.stderr[-2000:]}{why}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("graded")
    subs, grades, pages = tmp / "subs", tmp / "grades", tmp / "feedback"
    subs.mkdir()
    solution, exercise = load_notebook(SOLUTION), load_notebook(EXERCISE)
    laplace = cell_source(answer_cells(solution)["dp-laplace"])
    carol_code = laplace + "\n" + "\n".join(INJECTED) + "\n" + LONG_LINE + "\n"
    notebooks = {"alice": solution, "bob": exercise,
                 "carol": with_answers(EXERCISE, {"dp-laplace": carol_code, "dp-gaussian-sigma": WRONG_SIGMA})}
    for name, nb in notebooks.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    _cli("grade", str(subs), "--unit", UNIT, "-o", str(grades), "--jobs", "2", "--quiet", results=grades)
    _cli("feedback", str(subs), "--results", str(grades), "-o", str(pages))
    results = {n: json.loads((grades / f"{n}.results.json").read_text(encoding="utf-8")) for n in notebooks}
    return {"grades": grades, "pages": pages, "results": results, "carol_code": carol_code,
            "names": list(notebooks)}


@pytest.fixture(scope="module")
def browser():
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Offline:
    """A browser context with the network cut: every non-``file://`` request is aborted and recorded."""

    def __init__(self, browser, width: int = 1280, height: int = 900) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.route("**/*", self._route)

    def _route(self, r) -> None:
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            self.blocked.append(r.request.url)
            r.abort()

    def open(self, path: Path):
        page = self.context.new_page()
        page.on("requestfailed", lambda req: self.failed.append(req.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        return page

    def close(self) -> None:
        self.context.close()
        assert self.blocked == [], f"the page tried the network: {self.blocked[:5]}"
        assert self.failed == [], f"requests that failed: {self.failed[:5]}"


@pytest.fixture
def offline(browser):
    views: list[Offline] = []

    def make(width: int = 1280, height: int = 900) -> Offline:
        views.append(Offline(browser, width, height))
        return views[-1]

    yield make
    for view in views:
        view.close()


def _task_points(results: dict, gid: str) -> tuple[float, float]:
    tests = [t for t in results["tests"] if t["name"].partition(": ")[0] == gid]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_feedback_page_shows_the_score_the_points_the_failed_message_and_the_code(graded, offline):
    carol = graded["results"]["carol"]
    assert 0 < carol["score"] < carol["max_score"], "the partly done submission must be partly right"
    page = offline().open(graded["pages"] / "carol.html")
    score = page.locator("p.score")
    assert score.is_visible()
    assert score.inner_text() == f"Automatically graded: {carol['score']:g} / {carol['max_score']:g} points"
    # per task its points, in the heading a student scans
    for gid in ("dp-laplace", "dp-gaussian-sigma"):
        got, top = _task_points(carol, gid)
        heading = page.locator(f"h2[id='{gid}']")
        assert heading.is_visible()
        assert heading.inner_text() == f"{gid} — {got:g} / {top:g} points"
    assert _task_points(carol, "dp-laplace")[0] == _task_points(carol, "dp-laplace")[1] > 0
    assert _task_points(carol, "dp-gaussian-sigma")[0] == 0
    # the failed property: ✘, its points and its message with the inputs used and the hint, on screen
    failed = next(t for t in carol["tests"] if t["name"].startswith("dp-gaussian-sigma: σ = ")
                  and t["visibility"] == "visible")
    assert failed["score"] == 0 and "Hint:" in failed["output"]
    prop = failed["name"].partition(": ")[2]
    row = page.locator("tr", has=page.locator("td", has_text=prop)).first
    assert row.is_visible()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "✘" and cells[1] == prop and cells[2] == f"0 / {failed['max_score']:g}"
    shown = row.locator("pre").inner_text()
    assert shown == failed["output"]
    assert "gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-05) returned" in shown
    assert "Hint: re-read Theorem A.1" in shown
    row.scroll_into_view_if_needed()
    _shot(page, "feedback-page.png")
    colour = page.evaluate("el => getComputedStyle(el).color", row.locator("td span.fail").element_handle())
    assert colour == "rgb(176, 0, 32)", f"the ✘ is not drawn in the failure colour: {colour}"
    # passed properties carry ✔
    assert page.locator("h2[id='dp-laplace'] ~ table").first.locator("span.pass").count() == sum(
        1 for t in carol["tests"] if t["name"].startswith("dp-laplace: "))
    # the student's code is in a <pre> block, exactly as written
    code = page.locator("h2[id='dp-gaussian-sigma'] + p + pre")
    assert code.inner_text() == WRONG_SIGMA.rstrip("\n") or code.inner_text() == WRONG_SIGMA
    laplace = page.locator("h2[id='dp-laplace'] + p + pre")
    assert laplace.inner_text().rstrip("\n") == graded["carol_code"].rstrip("\n")


def test_markup_in_the_students_code_shows_as_text_and_never_runs(graded, offline):
    page = offline().open(graded["pages"] / "carol.html")
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator("script").count() == 0, "the feedback page holds a <script> element"
    assert page.locator("img").count() == 0 and page.locator("#injected").count() == 0
    text = page.locator("h2[id='dp-laplace'] + p + pre").inner_text()
    for line in INJECTED:
        assert line in text, f"the student's line is not shown as text: {line}"
    # the index and the other students' pages carry no script either
    for name in [*graded["names"], "index"]:
        other = offline().open(graded["pages"] / f"{name}.html")
        assert other.evaluate("() => typeof window.__pwned") == "undefined"
        assert other.locator("script").count() == 0, name


#: elements that hold text a reader reads, with their font size and whether they overflow the viewport
LAYOUT = """() => {
  const vw = document.documentElement.clientWidth;
  const small = [], wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (own && parseFloat(getComputedStyle(el).fontSize) < 14)
      small.push(`${el.tagName} ${getComputedStyle(el).fontSize}: ${el.textContent.slice(0, 40)}`);
    if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5))
      wide.push(`${el.tagName}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)} > ${vw}`);
  }
  return {small, wide: wide.slice(0, 8), pageWidth: document.documentElement.scrollWidth, vw};
}"""


@pytest.mark.parametrize("width", [1280, 800])
def test_feedback_page_layout_stays_in_the_viewport_with_readable_text(graded, offline, width):
    page = offline(width=width).open(graded["pages"] / "carol.html")
    layout = page.evaluate(LAYOUT)
    assert layout["small"] == [], f"text smaller than 14 px: {layout['small'][:5]}"
    assert layout["pageWidth"] <= layout["vw"], \
        f"the page scrolls sideways ({layout['pageWidth']} px > {layout['vw']} px): {layout['wide']}"
    assert layout["wide"] == []
    # the long line scrolls inside its code block (the block is narrower than its content)
    code = page.locator("h2[id='dp-laplace'] + p + pre").element_handle()
    box = page.evaluate("el => ({scroll: el.scrollWidth, client: el.clientWidth,"
                        " overflow: getComputedStyle(el).overflowX})", code)
    assert box["scroll"] > box["client"] and box["overflow"] in ("auto", "scroll"), box
    if width == 800:
        _shot(page, "feedback-page-800px.png")


def test_feedback_index_lists_every_submission_and_links_to_its_page(graded, offline):
    page = offline().open(graded["pages"] / "index.html")
    rows = page.locator("tbody tr")
    assert rows.count() == len(graded["names"])
    for i, name in enumerate(graded["names"]):
        res = graded["results"][name]
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[:2] == [f"{name}.ipynb", f"{res['score']:g} / {res['max_score']:g}"]
    _shot(page, "feedback-index.png")
    page.get_by_role("link", name="carol.ipynb").click()
    page.wait_for_load_state("load")
    assert page.url == (graded["pages"] / "carol.html").as_uri()
    carol = graded["results"]["carol"]
    assert page.locator("p.score").inner_text().endswith(f"{carol['score']:g} / {carol['max_score']:g} points")


def test_class_report_shows_decoded_plots_tables_and_the_batch_size(graded, offline):
    page = offline().open(graded["grades"] / "class_report.html")
    images = page.evaluate("() => [...document.images].map(i => ({alt: i.alt, w: i.naturalWidth,"
                           " h: i.naturalHeight, complete: i.complete, shown: i.getBoundingClientRect().width}))")
    assert [i["alt"] for i in images] == ["score distribution", "mean points per task",
                                          "grading time per submission"]
    for image in images:
        assert image["complete"] and image["w"] > 100 and image["h"] > 100, image
        assert image["shown"] > 100, image
    n = len(graded["names"])
    assert page.locator("p.muted").first.inner_text().startswith(f"{n} submissions")
    headings = page.locator("h2").all_inner_texts()
    assert headings == ["Score distribution", "Tasks", "Properties that fail most",
                        "Most common failure messages", "Grading time"]
    assert page.locator("table").count() == 4
    tasks = {t["name"].partition(": ")[0] for t in graded["results"]["alice"]["tests"] if not is_manual(t)}
    task_rows = page.locator("h2:text-is('Tasks') ~ table").first.locator("tbody tr")
    assert sorted(task_rows.locator("td:first-child").all_inner_texts()) == sorted(tasks)
    timing = page.locator("h2:text-is('Grading time') ~ table").first.locator("tbody tr")
    assert timing.locator("td:first-child").all_inner_texts() == graded["names"]
    shares = dict(zip(graded["names"], timing.locator("td:nth-child(3)").all_inner_texts(), strict=True))
    assert shares["alice"] == "100%" and shares["bob"] == "0%" and shares["carol"] not in ("0%", "100%")
    layout = page.evaluate(LAYOUT)
    assert layout["small"] == [] and layout["pageWidth"] <= layout["vw"], layout
    _shot(page, "class-report.png")
