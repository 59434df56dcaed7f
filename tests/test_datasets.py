"""Datasets: real loaders match their published descriptions; each synthetic generator produces the
bias it names, with strength 0 meaning no bias; bad input."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlops_course import datasets as D


def test_loanapp():
    d = D.load_loanapp()
    assert len(d) == 1974 and d.X.shape == (1974, len(D.LOANAPP_FEATURES))
    assert not d.X.isna().any().any() and set(np.unique(d.y)) == {0, 1}
    assert sorted(d.sensitive["race"].unique()) == ["black", "hispanic", "white"]
    assert sorted(d.sensitive["sex"].unique()) == ["female", "male"]
    assert not {"white", "black", "hispan", "male"} & set(d.X.columns)
    # the raw disparity Munnell et al. (1996) start from: white applicants approved far more often
    rates = {r: d.y[d.sensitive["race"] == r].mean() for r in ("white", "black", "hispanic")}
    assert rates["white"] > 0.88 and rates["black"] < 0.72
    assert "Hunter" in d.source and "MIT" in d.licence
    with pytest.raises(ValueError, match="protected"):
        D.load_loanapp(features=["hrat", "black"])
    with pytest.raises(ValueError, match="unknown column"):
        D.load_loanapp(features=["income"])
    # marital status is a prohibited basis under ECOA: neither a default feature nor accepted
    assert not {"married", "dep"} & set(D.LOANAPP_FEATURES) and not {"married", "dep"} & set(d.X.columns)
    with pytest.raises(ValueError, match="protected"):
        D.load_loanapp(features=["hrat", "married"])
    assert len(D.load_loanapp(features=[*D.LOANAPP_FEATURES, "dep"])) == 1971  # 3 rows lack dep
    with pytest.raises(ValueError, match="at least one"):
        D.load_loanapp(features=[])


def test_berkeley_published_counts():
    t = D.load_berkeley_admissions()
    assert t.shape[0] == 12 and t["applicants"].sum() == 4526
    men, women = t[t["sex"] == "male"], t[t["sex"] == "female"]
    # published six-department totals (Bickel, Hammel & O'Connell 1975; R's UCBAdmissions)
    assert (men["admitted"].sum(), men["applicants"].sum()) == (1198, 2691)
    assert (women["admitted"].sum(), women["applicants"].sum()) == (557, 1835)
    assert t.set_index(["dept", "sex"]).loc[("A", "female"), "admitted"] == 89
    a = D.load_berkeley_applicants()
    assert len(a) == 4526 and a.y.sum() == 1755
    assert (a.X.sum(axis=1) == 1).all()
    assert a.y[a.sensitive["sex"] == "female"].sum() == 557


def _pooled_accuracy_gap(d):
    X, y, g = d.X.to_numpy(), d.y, d.group
    pred = LogisticRegression().fit(X, y).predict(X)
    return np.mean(pred[g == "A"] == y[g == "A"]) - np.mean(pred[g == "B"] == y[g == "B"])


def test_historical_bias():
    none = D.make_historical_bias(5000, 0.0, rng=np.random.default_rng(5_501))
    assert np.array_equal(none.y, none.y_true)
    d = D.make_historical_bias(5000, 2.0, rng=np.random.default_rng(5_501))
    b, a = d.group == "B", d.group == "A"
    assert np.array_equal(d.y[a], d.y_true[a]) and (d.y[b] <= d.y_true[b]).all()
    # with ~1,500 B rows the drop in P(y=1) is ~0.3 against a sampling sd of ~0.013
    assert d.y_true[b].mean() - d.y[b].mean() > 0.2
    assert (d.group == "B").sum() == 1500


def test_representation_bias_hurts_the_minority():
    d = D.make_representation_bias(20_000, 0.05, rng=np.random.default_rng(5_502))
    assert (d.group == "B").sum() == 1000 and np.array_equal(d.y, d.y_true)
    balanced = D.make_representation_bias(20_000, 0.5, rng=np.random.default_rng(5_502))
    assert _pooled_accuracy_gap(d) > 0.05 and _pooled_accuracy_gap(d) > _pooled_accuracy_gap(balanced) + 0.03


def test_measurement_bias_flips_only_group_b():
    d = D.make_measurement_bias(20_000, 0.2, rng=np.random.default_rng(5_503))
    b = d.group == "B"
    assert np.array_equal(d.y[~b], d.y_true[~b])
    flips = (d.y[b] != d.y_true[b]).mean()
    # binomial(6000, 0.2): sd 0.0052; |error| < 0.03 is > 5.7 sd (false alarm < 1e-8)
    assert abs(flips - 0.2) < 0.03
    assert np.array_equal(*(lambda e: (e.y, e.y_true))(D.make_measurement_bias(500, 0.0, rng=1)))


def test_aggregation_bias_grows_with_strength():
    gaps = [_pooled_accuracy_gap(D.make_aggregation_bias(20_000, s, rng=np.random.default_rng(5_504)))
            for s in (0.0, 0.5, 1.0)]
    assert abs(gaps[0]) < 0.03 and gaps[2] > gaps[1] > gaps[0] + 0.03


def test_evaluation_bias_benchmark():
    d = D.make_evaluation_bias(10_000, 0.02, benchmark_size=1000, rng=np.random.default_rng(5_505))
    bench = d.extra["benchmark"]
    assert bench.sum() == 1000 and (d.group[bench] == "B").sum() == 20
    with pytest.raises(ValueError, match="needs"):
        D.make_evaluation_bias(100, 1.0, minority_fraction=0.1, benchmark_size=50, rng=0)


def test_automation_bias_accuracy():
    s = D.make_automation_bias(40_000, 0.7, model_accuracy=0.8, human_accuracy=0.9, rng=np.random.default_rng(5_506))
    expected = 0.7 * 0.8 + 0.3 * 0.9
    # sd of the accuracy over 40,000 cases <= 0.0025; |error| < 0.0125 is 5 sd (false alarm < 1e-6)
    assert abs(s.accuracy("assisted") - expected) < 0.0125
    assert s.accuracy("assisted") < s.accuracy("human_alone")
    assert np.array_equal(s.assisted[s.followed], s.model[s.followed])
    with pytest.raises(ValueError, match="which"):
        s.accuracy("robot")


def test_subset_and_group():
    d = D.make_representation_bias(100, 0.2, rng=0)
    sub = d.subset(d.group == "B")
    assert len(sub) == 20 and (sub.group == "B").all() and sub.X.shape == (20, 2)


@pytest.mark.parametrize("call, match", [
    (lambda: D.make_historical_bias(5, 1.0, rng=0), "n"),
    (lambda: D.make_historical_bias(100, -1.0, rng=0), "strength"),
    (lambda: D.make_historical_bias(100, float("nan"), rng=0), "strength"),
    (lambda: D.make_representation_bias(100, 0.0, rng=0), "minority_fraction"),
    (lambda: D.make_representation_bias(100, 1.0, rng=0), "minority_fraction"),
    (lambda: D.make_measurement_bias(100, 0.7, rng=0), "label_noise"),
    (lambda: D.make_aggregation_bias(100, 1.5, rng=0), "strength"),
    (lambda: D.make_evaluation_bias(100, 0.1, benchmark_size=100, rng=0), "benchmark_size"),
    (lambda: D.make_automation_bias(100, 1.2, rng=0), "reliance"),
    (lambda: D.make_automation_bias(100, 0.5, model_accuracy=-0.1, rng=0), "model_accuracy"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_rng_required():
    with pytest.raises(TypeError, match="rng"):
        D.make_historical_bias(100, 1.0, rng=None)
