"""Simpson's paradox on the published Berkeley 1973 counts (Bickel, Hammel & O'Connell 1975)."""
from __future__ import annotations

import pandas as pd
import pytest

from mlops_course.datasets import load_berkeley_admissions
from mlops_course.fairness.simpson import simpsons_paradox


def test_berkeley_reversal():
    res = simpsons_paradox(load_berkeley_admissions())
    # published pooled rates over the six departments: men 1198/2691, women 557/1835
    assert res.pooled["male"] == pytest.approx(1198 / 2691, abs=1e-12)
    assert res.pooled["female"] == pytest.approx(557 / 1835, abs=1e-12)
    assert res.favoured_pooled == "male"
    assert res.strata_favouring["female"] == 4 and res.strata_favouring["male"] == 2  # A, B, D, F vs C, E
    assert res.standardised["female"] > res.standardised["male"]
    assert res.reverses


def test_no_reversal_when_strata_agree():
    t = pd.DataFrame({"dept": ["A", "A", "B", "B"], "sex": ["m", "f", "m", "f"],
                      "admitted": [50, 40, 20, 10], "rejected": [50, 60, 80, 90]})
    res = simpsons_paradox(t)
    assert res.favoured_pooled == "m" and not res.reverses


def test_bad_input():
    t = load_berkeley_admissions()
    with pytest.raises(ValueError, match="no column"):
        simpsons_paradox(t, group="gender")
    with pytest.raises(ValueError, match="counts"):
        simpsons_paradox(t.assign(admitted=-t["admitted"]))
    with pytest.raises(ValueError, match="two groups"):
        simpsons_paradox(t[t["sex"] == "male"])
    with pytest.raises(ValueError, match="every group"):
        simpsons_paradox(t.drop(index=0))
    with pytest.raises(TypeError):
        simpsons_paradox(t.to_numpy())
