"""Notebook 07's ε slider keeps its noise axis fixed, so the Laplace density visibly widens as ε falls.

With an axis that rescales with ε (±6·b) the curve looks the same at ε = 1 and ε = 10 (issue 15,
item 3). The test runs the notebook's own cells (data, error grid, the slider cell) headless, with
the slider's default ε replaced, and measures the plotted curve: the x-limits must not move, and
the width of the density at half its maximum, as a share of the axis, must shrink like 1/ε.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_differential_privacy.ipynb"


def _cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _run_slider_cell(epsilon: float) -> tuple[tuple[float, float], float]:
    """(x-limits of the noise panel, width at half maximum of its curve) with the slider at ``epsilon``."""
    cells = _cells()
    slider = next(i for i, src in enumerate(cells) if "def draw_noise_and_accuracy" in src)
    needed = [src for src in cells[:slider] if "setup_course" in src or "AGE_RANGE =" in src
              or "EPS_GRID =" in src or "laplace_scale" in src and "import" in src]
    source, count = re.subn(r"epsilon=\(1\.0,", f"epsilon=({epsilon!r},", cells[slider])
    assert count == 1, "the slider cell no longer starts ε at 1.0"
    namespace: dict = {}
    for src in [*needed, source]:
        exec(compile(src, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 - the course's own notebook
    plot = namespace["_"]
    axis = plot.figure.axes[0]
    x, y = axis.lines[0].get_data()
    above = x[y >= y.max() / 2]
    return axis.get_xlim(), float(above.max() - above.min())


def test_the_noise_axis_stays_fixed_and_the_density_widens_as_epsilon_falls():
    xlim_1, width_1 = _run_slider_cell(1.0)
    xlim_10, width_10 = _run_slider_cell(10.0)
    xlim_01, width_01 = _run_slider_cell(0.1)
    assert xlim_10 == pytest.approx(xlim_1) and xlim_01 == pytest.approx(xlim_1)
    # half-maximum width of a Laplace density is 2·b·ln 2 with b ∝ 1/ε (at ε = 0.1 it is clipped by the axis)
    assert width_1 / width_10 == pytest.approx(10.0, rel=0.1)  # sampled on the plotted grid
    assert width_01 > 3 * width_1
    assert np.diff(xlim_1)[0] > 2 * width_1  # at ε = 1 the whole peak is on screen
