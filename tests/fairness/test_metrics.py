"""Fairness metrics: cross-checked against fairlearn 0.15 (peer library) to 1e-9, plus
hand-computed values, AIF360 sign conventions and bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_score

from mlops_course.fairness import metrics as M

TOL = 1e-9


def _sf(decisions, kind):
    if kind == "one":
        return decisions["group"]
    return pd.DataFrame({"group": decisions["group"], "sex": decisions["sex"]})


PAIRS = [
    (M.demographic_parity_difference, flm.demographic_parity_difference),
    (M.demographic_parity_ratio, flm.demographic_parity_ratio),
    (M.equal_opportunity_difference, flm.equal_opportunity_difference),
    (M.equal_opportunity_ratio, flm.equal_opportunity_ratio),
    (M.false_positive_rate_difference, flm.false_positive_rate_difference),
    (M.false_negative_rate_difference, flm.false_negative_rate_difference),
]


@pytest.mark.parametrize("ours, peer", PAIRS, ids=[p[0].__name__ for p in PAIRS])
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("kind", ["one", "intersectional"])
@pytest.mark.parametrize("weighted", [False, True])
def test_disparities_equal_fairlearn(decisions, ours, peer, method, kind, weighted):
    w = decisions["weight"] if weighted else None
    sf = _sf(decisions, kind)
    got = ours(decisions["y_true"], decisions["y_pred"], sensitive_features=sf, method=method, sample_weight=w)
    want = peer(decisions["y_true"], decisions["y_pred"], sensitive_features=sf, method=method, sample_weight=w)
    assert abs(got - want) <= TOL


@pytest.mark.parametrize("agg", ["worst_case", "mean"])
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("kind", ["one", "intersectional"])
def test_equalized_odds_equal_fairlearn(decisions, agg, method, kind):
    sf = _sf(decisions, kind)
    for ours, peer in ((M.equalized_odds_difference, flm.equalized_odds_difference),
                       (M.equalized_odds_ratio, flm.equalized_odds_ratio)):
        for w in (None, decisions["weight"]):
            got = ours(decisions["y_true"], decisions["y_pred"], sensitive_features=sf, method=method, agg=agg,
                       sample_weight=w)
            want = peer(decisions["y_true"], decisions["y_pred"], sensitive_features=sf, method=method, agg=agg,
                        sample_weight=w)
            assert abs(got - want) <= TOL


RATE_PAIRS = {
    "selection_rate": flm.selection_rate,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_negative_rate": flm.true_negative_rate,
    "positive_predictive_value": precision_score,
}


@pytest.mark.parametrize("kind", ["one", "intersectional"])
def test_by_group_equals_metricframe(decisions, kind):
    sf = _sf(decisions, kind)
    frame = flm.MetricFrame(metrics=RATE_PAIRS, y_true=decisions["y_true"], y_pred=decisions["y_pred"],
                            sensitive_features=sf)
    for name in RATE_PAIRS:
        got = M.by_group(name, decisions["y_true"], decisions["y_pred"], sensitive_features=sf)
        want = frame.by_group[name]
        assert list(got.index) == list(want.index)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=TOL)


def test_overall_rates_equal_fairlearn(decisions):
    yt, yp, w = decisions["y_true"], decisions["y_pred"], decisions["weight"]
    for ours, peer in ((M.selection_rate, flm.selection_rate), (M.true_positive_rate, flm.true_positive_rate),
                       (M.false_positive_rate, flm.false_positive_rate),
                       (M.false_negative_rate, flm.false_negative_rate),
                       (M.true_negative_rate, flm.true_negative_rate)):
        assert abs(ours(yt, yp) - peer(yt, yp)) <= TOL
        assert abs(ours(yt, yp, sample_weight=w) - peer(yt, yp, sample_weight=w)) <= TOL
    assert abs(M.positive_predictive_value(yt, yp) - precision_score(yt, yp)) <= TOL
    assert abs(M.accuracy(yt, yp) - np.mean(yt == yp)) <= TOL


def test_predictive_parity_equals_metricframe_precision(decisions):
    sf = decisions["group"]
    frame = flm.MetricFrame(metrics=precision_score, y_true=decisions["y_true"], y_pred=decisions["y_pred"],
                            sensitive_features=sf)
    got = M.predictive_parity_difference(decisions["y_true"], decisions["y_pred"], sensitive_features=sf)
    assert abs(got - frame.difference()) <= TOL
    got = M.predictive_parity_ratio(decisions["y_true"], decisions["y_pred"], sensitive_features=sf)
    assert abs(got - frame.ratio()) <= TOL


def test_real_lending_decision_equals_fairlearn(loan_model):
    t = loan_model["test"]
    y, p = loan_model["y"][t], loan_model["pred"][t]
    for sf in (loan_model["race"][t], pd.DataFrame({"race": loan_model["race"][t], "sex": loan_model["sex"][t]})):
        assert abs(M.demographic_parity_difference(y, p, sensitive_features=sf)
                   - flm.demographic_parity_difference(y, p, sensitive_features=sf)) <= TOL
        for agg in ("worst_case", "mean"):
            assert abs(M.equalized_odds_difference(y, p, sensitive_features=sf, agg=agg)
                       - flm.equalized_odds_difference(y, p, sensitive_features=sf, agg=agg)) <= TOL
            assert abs(M.equalized_odds_ratio(y, p, sensitive_features=sf, agg=agg)
                       - flm.equalized_odds_ratio(y, p, sensitive_features=sf, agg=agg)) <= TOL


def test_hand_computed_values():
    y = [1, 1, 0, 0, 1, 1, 0, 0]
    p = [1, 1, 0, 0, 1, 0, 1, 0]
    g = list("aaaabbbb")
    # a: TPR 1, FPR 0; b: TPR 1/2, FPR 1/2
    assert M.equalized_odds_difference(y, p, sensitive_features=g) == 0.5
    assert M.equalized_odds_difference(y, p, sensitive_features=g, agg="mean") == 0.5
    assert M.equalized_odds_ratio(y, p, sensitive_features=g) == 0.0
    assert M.demographic_parity_difference(y, p, sensitive_features=g) == 0.0


def test_aif360_conventions_are_signed():
    p = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    g = np.array(list("mmmmffff"))
    # P(ŷ=1|f) = 1/4, P(ŷ=1|m) = 3/4
    assert M.statistical_parity_difference(p, sensitive_features=g, privileged="m") == pytest.approx(-0.5)
    assert M.statistical_parity_difference(p, sensitive_features=g, privileged="f") == pytest.approx(0.5)
    assert M.disparate_impact(p, sensitive_features=g, privileged="m") == pytest.approx(1 / 3)
    assert M.disparate_impact(p, sensitive_features=g, privileged="f") == pytest.approx(3.0)
    assert abs(M.statistical_parity_difference(p, sensitive_features=g, privileged="m")) == pytest.approx(
        flm.demographic_parity_difference(y, p, sensitive_features=g))
    # m: TPR 1, FPR 1/2; f: TPR 1/2, FPR 0 -> ½[(0 − ½) + (½ − 1)] = −½
    assert M.average_odds_difference(y, p, sensitive_features=g, privileged="m") == pytest.approx(-0.5)


def test_unprivileged_subset_and_errors():
    p = np.array([1, 1, 0, 1, 0, 0])
    g = np.array(["w", "w", "b", "b", "h", "h"])
    assert M.disparate_impact(p, sensitive_features=g, privileged="w", unprivileged="b") == 0.5
    assert M.disparate_impact(p, sensitive_features=g, privileged="w") == 0.25
    with pytest.raises(ValueError, match="privileged"):
        M.disparate_impact(p, sensitive_features=g, privileged="x")
    with pytest.raises(ValueError, match="unprivileged"):
        M.disparate_impact(p, sensitive_features=g, privileged="w", unprivileged="w")
    with pytest.raises(ValueError, match="never selected"):
        M.disparate_impact(p, sensitive_features=g, privileged="h")


def test_four_fifths_rule(decisions):
    res = M.four_fifths_rule(decisions["y_pred"], sensitive_features=decisions["group"])
    dpr = flm.demographic_parity_ratio(decisions["y_true"], decisions["y_pred"], sensitive_features=decisions["group"])
    assert abs(res.impact_ratios.min() - dpr) <= TOL
    assert res.impact_ratios[res.reference] == 1.0
    assert res.passes == (dpr >= 0.8)
    fair = M.four_fifths_rule([1, 0, 1, 0, 1, 1, 1, 1, 0, 0], sensitive_features=list("aaaaabbbbb"))
    assert fair.passes and fair.adverse == []
    with pytest.raises(ValueError, match="threshold"):
        M.four_fifths_rule([1, 0], sensitive_features=["a", "b"], threshold=1.5)


def test_calibration_by_group_equals_sklearn(decisions):
    table = M.calibration_by_group(decisions["y_true"], decisions["score"], sensitive_features=decisions["group"],
                                   n_bins=7)
    for g in ("a", "b", "c"):
        m = decisions["group"] == g
        prob_true, prob_pred = calibration_curve(decisions["y_true"][m], decisions["score"][m], n_bins=7)
        rows = table[table["group"] == g]
        np.testing.assert_allclose(rows["fraction_positive"], prob_true, atol=TOL)
        np.testing.assert_allclose(rows["mean_predicted"], prob_pred, atol=TOL)
    assert table["count"].sum() == decisions["y_true"].size


# --------------------------------------------------------------------------- bad input
Y, P, G = [1, 0, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"]


@pytest.mark.parametrize("func", [M.demographic_parity_difference, M.equalized_odds_difference,
                                  M.equal_opportunity_ratio, M.predictive_parity_difference])
def test_bad_input(func):
    with pytest.raises(ValueError, match="same length"):
        func(Y, P[:3], sensitive_features=G)
    with pytest.raises(ValueError, match="same length"):
        func(Y, P, sensitive_features=G[:3])
    with pytest.raises(ValueError, match="at least 2 groups"):
        func(Y, P, sensitive_features=["a"] * 4)
    with pytest.raises(ValueError, match="binary"):
        func([2, 0, 1, 0], P, sensitive_features=G)
    with pytest.raises(ValueError, match="binary"):
        func(Y, [0.5, 1, 0, 0], sensitive_features=G)
    with pytest.raises(ValueError, match="missing"):
        func([1, np.nan, 1, 0], P, sensitive_features=G)
    with pytest.raises(ValueError, match="missing"):
        func(Y, P, sensitive_features=["a", None, "b", "b"])
    with pytest.raises(ValueError, match="missing"):
        func(Y, P, sensitive_features=pd.Series(["a", np.nan, "b", "b"]))
    with pytest.raises(ValueError, match="empty"):
        func([], [], sensitive_features=[])
    with pytest.raises(ValueError, match="method"):
        func(Y, P, sensitive_features=G, method="pairwise")


def test_bad_agg_metric_and_undefined_rates():
    with pytest.raises(ValueError, match="agg"):
        M.equalized_odds_difference(Y, P, sensitive_features=G, agg="max")
    with pytest.raises(ValueError, match="metric"):
        M.difference("recall", Y, P, sensitive_features=G)
    with pytest.raises(ValueError, match="undefined in group"):  # group b has no positive
        M.equal_opportunity_difference([1, 0, 0, 0], P, sensitive_features=G)
    with pytest.raises(ValueError, match="undefined"):
        M.true_positive_rate([0, 0], [1, 0])
    assert np.isnan(M.by_group("true_positive_rate", [1, 0, 0, 0], P, sensitive_features=G)["b"])
    with pytest.raises(ValueError, match="sample_weight"):
        M.demographic_parity_difference(Y, P, sensitive_features=G, sample_weight=[-1, 1, 1, 1])
    with pytest.raises(ValueError, match="probabilities"):
        M.calibration_by_group(Y, [0.1, 1.2, 0.3, 0.4], sensitive_features=G)
    with pytest.raises(ValueError, match="1-dimensional"):
        M.selection_rate(None, [[1, 0], [0, 1]])


def test_bool_labels_and_numeric_groups_accepted():
    got = M.demographic_parity_difference(np.array(Y, bool), np.array(P, bool), sensitive_features=[1, 1, 2, 2])
    assert got == 1.0
    assert M.by_group("selection_rate", Y, [1, 1, 1, 0], sensitive_features=[2, 2, 10, 10]).index.tolist() == [2, 10]


@pytest.mark.parametrize("y, p", [
    ([1, 1, 0, 0, 1, 1, 0, 0], [1, 1, 0, 0, 1, 1, 0, 0]),  # perfect: FPR ratio 0/0, fairlearn's mean is 1.0
    ([1, 1, 0, 0, 1, 1, 0, 0], [1, 0, 0, 0, 1, 1, 0, 0]),  # no false positives anywhere
    ([1, 1, 0, 0, 1, 1, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0]),  # no true positives anywhere
    ([1, 1, 0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]),  # both ratios undefined: NaN in both
])
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("agg", ["worst_case", "mean"])
def test_equalized_odds_ratio_with_an_undefined_ratio_matches_fairlearn(y, p, method, agg):
    sf = list("aaaabbbb")
    ours = M.equalized_odds_ratio(y, p, sensitive_features=sf, method=method, agg=agg)
    theirs = flm.equalized_odds_ratio(y, p, sensitive_features=sf, method=method, agg=agg)
    assert (np.isnan(ours) and np.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-12)
