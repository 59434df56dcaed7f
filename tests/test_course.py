"""Course set-up helper, the unit table and the notebook helpers."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from mlops_course import course, units
from mlops_course.notebooks import course_root, normalise

ROOT = Path(__file__).resolve().parents[1]


def test_setup_course_returns_seeded_generator(monkeypatch, tmp_path):
    monkeypatch.setenv("MLOPS_COURSE_HOME", str(tmp_path))
    rng = course.setup_course(3, plots=False)
    assert isinstance(rng, np.random.Generator)
    assert rng.integers(0, 2**32, 5).tolist() == np.random.default_rng(3).integers(0, 2**32, 5).tolist()


def test_setup_course_turns_telemetry_off_and_keeps_state_local(monkeypatch, tmp_path):
    monkeypatch.setenv("MLOPS_COURSE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("FLWR_TELEMETRY_ENABLED", "1")
    course.setup_course(plots=False)
    assert os.environ["FLWR_TELEMETRY_ENABLED"] == "0"
    assert os.environ["RAY_USAGE_STATS_ENABLED"] == "0"
    assert (tmp_path / "state").is_dir()
    env = course.course_environment()
    assert env["FLWR_HOME"].startswith(str(tmp_path / "state"))


def test_setup_course_limits_blas_threads(monkeypatch, tmp_path):
    from threadpoolctl import threadpool_info

    monkeypatch.setenv("MLOPS_COURSE_HOME", str(tmp_path))
    course.setup_course(plots=False, threads=1)
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    assert infos and all(i["num_threads"] == 1 for i in infos)


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (1.5, TypeError), ("0", TypeError)])
def test_setup_course_bad_seed(bad, exc):
    with pytest.raises(exc, match="seed"):
        course.setup_course(bad, plots=False)


def test_course_environment_bad_threads():
    with pytest.raises(ValueError, match="threads must be >= 1"):
        course.course_environment(0)


#: the lecture deck lives outside the repository; its slide titles are snapshotted in tests/data
SLIDES = ROOT.parent / "shared" / "lecture-slides.md"
SLIDE_TITLES = ROOT / "tests" / "data" / "lecture_slide_titles.txt"
SLIDE_TITLE = re.compile(r"^# \*\*(.+?)\*\*", flags=re.M)


def _snapshot_titles() -> list[str]:
    return SLIDE_TITLES.read_text(encoding="utf-8").splitlines()


def test_units_follow_the_lecture_agenda():
    assert [u.number for u in units.UNITS] == list(range(11))
    assert len({u.stem for u in units.UNITS}) == 11
    for unit in units.UNITS:
        assert re.fullmatch(rf"{unit.number:02d}_[a-z_]+", unit.stem)
    titles = _snapshot_titles()
    assert len(titles) >= 11 and len(set(titles)) == len(titles)  # the snapshot has something to check
    for unit in units.UNITS:  # every slide title a unit names is a real slide title
        assert unit.slides, unit.stem
        for title in unit.slides:
            assert title in titles, (unit.stem, title)


def test_slide_title_snapshot_matches_the_deck():
    """Regenerate tests/data/lecture_slide_titles.txt (one title per line, deck order, matched by
    ``SLIDE_TITLE``) when the deck changes."""
    if not SLIDES.is_file():
        pytest.skip(f"the lecture deck {SLIDES} is not beside the repository")
    assert SLIDE_TITLE.findall(SLIDES.read_text(encoding="utf-8")) == _snapshot_titles()


def test_unit_lookup_errors():
    assert units.unit_by_number(7).stem == "07_differential_privacy"
    assert units.unit_by_stem("07_differential_privacy").number == 7
    with pytest.raises(ValueError, match="number must be one of"):
        units.unit_by_number(11)
    with pytest.raises(ValueError, match="stem must be one of"):
        units.unit_by_stem("99_nothing")


def test_units_with_exercises_have_solution_and_exercise_files():
    for unit in units.UNITS:
        if unit.has_exercise:
            assert (ROOT / unit.solution).is_file()
            assert (ROOT / unit.exercise).is_file()


def test_existing_notebooks_belong_to_a_unit():
    stems = {u.stem for u in units.UNITS}
    for folder in ("notebooks", "solutions", "exercises"):
        for path in (ROOT / folder).glob("*.ipynb"):
            assert path.stem in stems, path


def test_course_root_found_from_subfolder():
    assert course_root(ROOT / "notebooks") == ROOT
    with pytest.raises(FileNotFoundError, match="no course folder"):
        course_root("/")


def test_normalise_drops_volatile_metadata():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.cells[0].metadata["execution"] = {"iopub.execute_input": "2026-01-01"}
    nb.metadata["widgets"] = {"state": {}}
    out = normalise(nb)
    assert "execution" not in out.cells[0].metadata and "widgets" not in out.metadata


def test_committed_lecture_notebooks_have_no_volatile_metadata():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert "widgets" not in nb["metadata"], path
        assert all("execution" not in c["metadata"] for c in nb["cells"]), path


def test_readme_table_lists_every_unit_and_existing_files():
    readme = (ROOT / "README.md").read_text()
    units_section = readme.split("## Units", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in units_section.splitlines() if re.match(r"^\| \d\d \|", line)]
    assert len(rows) == len(units.UNITS)
    for unit, row in zip(units.UNITS, rows, strict=True):
        assert row.startswith(f"| {unit.number:02d} | {unit.title} |"), row
        planned = "(planned)" in row.split("|")[3]
        assert (ROOT / unit.notebook).is_file() != planned, (unit.notebook, row)


def test_readme_quickstart_is_at_most_two_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) <= 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet -e ".[test]"' in ci and "python -m pytest" in ci
    assert 'pip install -e ".[test]"' in commands[0] and commands[1].startswith("python -m pytest")


def test_lecture_notebooks_carry_slides_that_follow_the_deck():
    """Each unit's slide titles are headings of its notebook, and every cell has slideshow metadata,
    so ``mlops-course slides`` (nbconvert) and RISE give a deck per unit that follows the agenda."""
    import nbformat

    for unit in units.UNITS:
        nb = nbformat.read(ROOT / unit.notebook, as_version=4)
        assert all("slideshow" in cell.metadata for cell in nb.cells), unit.notebook
        headings = [cell.source.lstrip().splitlines()[0].lstrip("#").strip().lower() for cell in nb.cells
                    if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#")]
        for title in unit.slides:
            assert any(title.lower() in h for h in headings), (unit.notebook, title)
        starts = [cell for cell in nb.cells if cell.metadata["slideshow"].get("slide_type") == "slide"]
        assert len(starts) >= 3, unit.notebook
