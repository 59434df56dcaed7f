"""Per-group table: point estimates equal fairlearn's MetricFrame; Wilson / Clopper–Pearson intervals
equal scipy's and cover; Newcombe's interval on a difference equals the published values; the
bootstrap (kept for teaching) under-covers small groups and extreme rates."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

from mlops_course.fairness.table import group_table


def test_point_estimates_equal_metricframe(decisions):
    sf = pd.DataFrame({"group": decisions["group"], "sex": decisions["sex"]})
    table = group_table(decisions["y_true"], decisions["y_pred"], sensitive_features=sf)
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                                 "false_positive_rate": false_positive_rate},
                        y_true=decisions["y_true"], y_pred=decisions["y_pred"], sensitive_features=sf)
    assert isinstance(table.index, pd.MultiIndex) and list(table.index) == list(frame.by_group.index)
    for col in frame.by_group.columns:
        np.testing.assert_allclose(table[col].to_numpy(), frame.by_group[col].to_numpy(), atol=1e-12)
    assert table["count"].sum() == decisions["y_true"].size


def test_bootstrap_interval_width_matches_normal_theory():
    # One group of 400 with selection rate 0.3: the percentile interval's width should be close to the
    # normal-theory width 2·1.96·sqrt(p(1−p)/n) = 0.0898. With 400 resamples each end's estimate has a
    # relative sd of ~5% of the width, so a ±30% band is > 6 sd: false alarm < 1e-6 over seeds.
    y_pred = np.array([1] * 120 + [0] * 280)
    y_true = np.zeros(400, dtype=int)
    groups = np.array(["a"] * 400)
    t = group_table(y_true, y_pred, sensitive_features=groups, metrics=["selection_rate"], n_boot=400, rng=5_101,
                    interval="bootstrap")
    width = float(t["selection_rate_high"].iloc[0] - t["selection_rate_low"].iloc[0])
    expected = 2 * 1.959964 * np.sqrt(0.3 * 0.7 / 400)
    assert 0.7 * expected < width < 1.3 * expected
    assert t["selection_rate_low"].iloc[0] < 0.3 < t["selection_rate_high"].iloc[0]


def test_bootstrap_is_seeded_and_small_groups_are_wider(decisions):
    kw = dict(sensitive_features=decisions["group"], metrics=["accuracy"], n_boot=50, interval="bootstrap")
    a = group_table(decisions["y_true"], decisions["y_pred"], rng=1, **kw)
    b = group_table(decisions["y_true"], decisions["y_pred"], rng=np.random.default_rng(1), **kw)
    pd.testing.assert_frame_equal(a, b)
    width = a["accuracy_high"] - a["accuracy_low"]
    assert width["c"] > width["a"]  # group c is 6x smaller than a
    assert (a["accuracy_low"] <= a["accuracy"]).all() and (a["accuracy"] <= a["accuracy_high"]).all()


def test_undefined_rate_is_nan():
    t = group_table([0, 0, 1, 0], [1, 0, 1, 0], sensitive_features=["a", "a", "b", "b"],
                    metrics=["true_positive_rate"], n_boot=10, rng=0)
    assert np.isnan(t.loc["a", "true_positive_rate"]) and np.isnan(t.loc["a", "true_positive_rate_low"])
    assert t.loc["b", "true_positive_rate"] == 1.0


def test_bad_input():
    y, p, g = [1, 0, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"]
    with pytest.raises(ValueError, match="rng"):
        group_table(y, p, sensitive_features=g, n_boot=10, interval="bootstrap")
    with pytest.raises(ValueError, match="n_boot"):
        group_table(y, p, sensitive_features=g, interval="bootstrap", rng=0)
    with pytest.raises(ValueError, match="interval"):
        group_table(y, p, sensitive_features=g, interval="normal")
    with pytest.raises(ValueError, match="reference"):
        group_table(y, p, sensitive_features=g, reference="z")
    with pytest.raises(ValueError, match="n_boot"):
        group_table(y, p, sensitive_features=g, n_boot=-1)
    with pytest.raises(ValueError, match="confidence"):
        group_table(y, p, sensitive_features=g, n_boot=10, rng=0, confidence=1.0)
    with pytest.raises(ValueError, match="unknown rate"):
        group_table(y, p, sensitive_features=g, metrics=["f1"])
    with pytest.raises(ValueError, match="same length"):
        group_table(y, p[:3], sensitive_features=g)
    with pytest.raises(ValueError, match="binary"):
        group_table([3, 0, 1, 0], p, sensitive_features=g)
    with pytest.raises(ValueError, match="missing"):
        group_table(y, p, sensitive_features=[None, "a", "b", "b"])


# ----------------------------------------------------------------------------- binomial intervals
def test_wilson_and_clopper_pearson_equal_scipy():
    from scipy.stats import binomtest

    from mlops_course.fairness.table import clopper_pearson_interval, wilson_interval

    for n in (1, 7, 53, 400):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for c in (0.9, 0.95):
                ci_w = binomtest(k, n).proportion_ci(confidence_level=c, method="wilson")
                ci_e = binomtest(k, n).proportion_ci(confidence_level=c, method="exact")
                np.testing.assert_allclose(wilson_interval(k, n, c), (ci_w.low, ci_w.high), atol=1e-12)
                np.testing.assert_allclose(clopper_pearson_interval(k, n, c), (ci_e.low, ci_e.high), atol=1e-10)


def test_zero_of_53_no_longer_gives_a_zero_width_interval():
    # notebook 05 printed [0.000, 0.000] for 0 of 53 with the bootstrap
    y = np.zeros(53, dtype=int)
    boot = group_table(y, y, sensitive_features=["b"] * 53, metrics=["selection_rate"], n_boot=200, rng=0,
                       interval="bootstrap")
    assert boot["selection_rate_high"].iloc[0] == 0.0  # the defect, kept visible
    for method, high in (("wilson", 3.8415 / (53 + 3.8415)), ("clopper-pearson", 1 - 0.025 ** (1 / 53))):
        t = group_table(y, y, sensitive_features=["b"] * 53, metrics=["selection_rate"], interval=method)
        assert t["selection_rate_low"].iloc[0] == 0.0
        assert t["selection_rate_high"].iloc[0] == pytest.approx(high, rel=1e-4)  # closed forms for k = 0


@pytest.mark.parametrize("a, b, want", [
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score)
    ((56, 70), (48, 80), (0.0524, 0.3339)),
    ((9, 10), (3, 10), (0.1705, 0.8090)),
    ((6, 7), (2, 7), (0.0582, 0.8062)),
    ((5, 56), (0, 29), (-0.0381, 0.1926)),
    ((0, 10), (0, 20), (-0.1611, 0.2775)),
])
def test_newcombe_interval_equals_the_published_values(a, b, want):
    from mlops_course.fairness.table import newcombe_interval

    d, lo, hi = newcombe_interval(*a, *b)
    assert d == pytest.approx(a[0] / a[1] - b[0] / b[1])
    assert (round(lo, 4), round(hi, 4)) == want


def test_reference_columns_give_the_difference_and_its_interval():
    from mlops_course.fairness.table import newcombe_interval

    y_true = np.zeros(150, dtype=int)
    y_pred = np.array([1] * 56 + [0] * 14 + [1] * 48 + [0] * 32)
    g = np.array(["a"] * 70 + ["b"] * 80)
    t = group_table(y_true, y_pred, sensitive_features=g, metrics=["selection_rate"], interval="wilson",
                    reference="b")
    assert tuple(t.loc["a", ["selection_rate_diff", "selection_rate_diff_low", "selection_rate_diff_high"]]) \
        == pytest.approx(newcombe_interval(56, 70, 48, 80))
    assert t.loc["b", "selection_rate_diff"] == 0.0
    undefined = group_table(y_true, y_pred, sensitive_features=g, metrics=["true_positive_rate"],
                            interval="wilson", reference="b")  # no positives: TPR and its difference undefined
    assert undefined["true_positive_rate_diff"].isna().all()


def _exact_coverage(interval, n, p):
    from scipy.stats import binom

    ks = np.arange(n + 1)
    lims = np.array([interval(int(k), n) for k in ks])
    return float(binom.pmf(ks, n, p)[(lims[:, 0] <= p) & (p <= lims[:, 1])].sum())


@pytest.mark.parametrize("n, p", [(20, 0.05), (53, 0.02), (53, 0.5), (200, 0.1)])
def test_interval_coverage_by_simulation(n, p):
    # 1,200 seeded data sets of one group of size n with selection rate p, intervals from group_table.
    # The simulated coverage of each method must lie within 5.3 standard errors of its exact coverage
    # (computed by summing binomial probabilities; two-sided false-alarm rate ~1.2e-7 per check), the
    # exact coverage of Clopper–Pearson is >= 95% and Wilson's >= 92% (Brown, Cai & DasGupta 2001 show
    # its dips), and the bootstrap falls clearly short for the small, extreme groups.
    from mlops_course.fairness.table import clopper_pearson_interval, wilson_interval

    rng = np.random.default_rng([n, int(p * 1000)])
    sims = 1200
    covered = {"wilson": 0, "clopper-pearson": 0, "bootstrap": 0}
    for s in range(sims):
        y_pred = (rng.random(n) < p).astype(int)
        for method in covered:
            kw = {"n_boot": 200, "rng": rng} if method == "bootstrap" else {}
            if method == "bootstrap" and s >= 400:
                continue  # 400 bootstrap data sets suffice to show the shortfall
            t = group_table(np.zeros(n, dtype=int), y_pred, sensitive_features=np.zeros(n, dtype=int),
                            metrics=["selection_rate"], interval=method, **kw)
            covered[method] += int(t["selection_rate_low"].iloc[0] <= p <= t["selection_rate_high"].iloc[0])
    for method, interval, floor in (("wilson", wilson_interval, 0.92), ("clopper-pearson", clopper_pearson_interval,
                                                                        0.95)):
        exact = _exact_coverage(interval, n, p)
        assert exact >= floor
        se = np.sqrt(exact * (1 - exact) / sims)
        assert abs(covered[method] / sims - exact) <= 5.3 * se + 1e-12
    if n * min(p, 1 - p) < 3:  # few expected events: the bootstrap's percentile interval collapses
        assert covered["bootstrap"] / 400 < 0.80
