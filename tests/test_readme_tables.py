"""The README's tables are generated from ``mlops_course/units.py`` and the notebooks, and agree with them."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from mlops_course import units

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_tables_are_the_generated_ones():
    assert units.update_readme(README, ROOT) == README, "README tables are stale: run python -m mlops_course.units"


@pytest.mark.parametrize("unit", units.UNITS, ids=lambda u: u.stem)
def test_instructor_row_matches_notebook_and_solution(unit):
    rows = [r for r in units.instructor_table(ROOT).splitlines() if r.startswith(f"| {unit.number:02d} |")]
    assert len(rows) == 1
    row = rows[0]
    # the live demos name exactly the notebook's sliders (read from its interactive_plot calls)
    named = re.findall(r"`(\w+)`", unit.live)
    in_notebook = units.notebook_sliders(ROOT / unit.notebook)
    assert in_notebook, f"{unit.notebook} has no slider"
    assert sorted(named) == sorted(in_notebook), (named, in_notebook)
    # tasks and points counted independently here from the solution's nbgrader metadata
    if unit.has_exercise:
        cells = nbformat.read(ROOT / unit.solution, as_version=4).cells
        graded = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
        points = sum(c.metadata["nbgrader"].get("points", 0) for c in graded)
        assert f"{len(graded)} tasks, {points} points" in row
    else:
        assert row.endswith("| — |")
    # core path: the minutes marked in the notebook, and ≤ 45 (one lecture hour)
    text = "\n".join(c.source for c in nbformat.read(ROOT / unit.notebook, as_version=4).cells
                     if c.cell_type == "markdown")
    marked = re.findall(r"\*\*Core path: ≈ (\d+) min\*\*", text)
    if marked:
        assert f"≈ {marked[0]} min" in row and int(marked[0]) <= 45
    # every unit's runtime was measured
    assert unit.runtime_s is not None and 0 < unit.runtime_s < 600
    assert f"| {unit.runtime_s:.0f} s |" in row


def test_readme_claims_match_the_course():
    assert "every cell answers in\n  seconds" not in README and "load reveal.js from a CDN" not in README
    assert "binder/" in README and "mybinder.org" in README


def test_update_readme_needs_its_markers():
    with pytest.raises(ValueError, match="units-table"):
        units.update_readme("# no tables here\n", ROOT)
