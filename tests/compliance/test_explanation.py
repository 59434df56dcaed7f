"""The right-to-explanation link to unit 06 is lazy: compliance works without the XAI unit."""
from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_course.compliance import explanation


def test_link_finds_the_xai_unit_of_this_package():
    # the XAI unit ships in this repository, so the link must resolve (the missing case is tested below)
    assert explanation.explanation_available() is True
    assert explanation.counterfactual_module().__name__ == explanation.COUNTERFACTUAL_MODULE


def test_missing_module_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(explanation, "COUNTERFACTUAL_MODULE", "mlops_course.no_such_module")
    assert not explanation.explanation_available()
    with pytest.raises(ImportError, match="explainable-AI"):
        explanation.counterfactual_module()


def test_compliance_does_not_import_the_xai_unit_eagerly():
    code = ("import sys, mlops_course.compliance, mlops_course.compliance.explanation; "
            "print(any(m.startswith('mlops_course.explain') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_linked_counterfactual_flips_a_logistic_decision():
    cf_mod = explanation.counterfactual_module()
    coef, intercept, x = [2.0, -1.0], 0.5, [1.0, 0.0]  # logit 2.5 -> adverse
    cf = cf_mod.linear_counterfactual(coef, intercept, x, target=-0.2, mutable=[0])
    assert cf.x_cf[1] == 0.0 and 2.0 * cf.x_cf[0] + 0.5 == pytest.approx(-0.2)
