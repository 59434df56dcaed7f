"""The cost of neglect: maximum GDPR fines and CCPA civil penalties, from the legal text.

GDPR — Regulation (EU) 2016/679, Art. 83 (maxima; the actual fine is set case by case under
Art. 83(2): nature, gravity, duration, intent, mitigation, cooperation …):

* **Art. 83(4)** (e.g. obligations of controller and processor, Art. 8, 11, 25–39, 42, 43):
  "administrative fines up to 10 000 000 EUR, or in the case of an undertaking, up to 2 % of the
  total worldwide annual turnover of the preceding financial year, whichever is higher";
* **Art. 83(5)** (basic principles and consent, Art. 5, 6, 7, 9; data subjects' rights,
  Art. 12–22; international transfers, Art. 44–49; …) and **Art. 83(6)** (non-compliance with
  an order of the supervisory authority): "up to 20 000 000 EUR, or in the case of an
  undertaking, up to 4 % of the total worldwide annual turnover of the preceding financial year,
  whichever is higher".

So for an undertaking ``max_fine = max(fixed, rate × turnover)``; the percentage takes over above
a turnover of €500 million (both tiers: 10M/2% = 20M/4% = €500M). For a non-undertaking (e.g. an
individual) the cap is the fixed amount.

CCPA — California Civil Code, Title 1.81.5, as amended by the CPRA (Proposition 24, 2020; in
force 1 January 2023):

* **§1798.155(a)**: administrative fine (California Privacy Protection Agency) "of not more than
  two thousand five hundred dollars ($2,500) for each violation or seven thousand five hundred
  dollars ($7,500) for each intentional violation or violations involving the personal
  information of consumers whom the business … has actual knowledge are under 16 years of age";
* **§1798.199.90(a)**: civil penalty in a civil action by the Attorney General, the same
  amounts per violation.
* **§1798.199.95(d)**: these amounts are adjusted in January of every odd-numbered year for the
  California CPI. The first adjustment (CPPA announcement of 17 December 2024, effective
  1 January 2025) set **$2,663** and **$7,988**.

:data:`CCPA_AMOUNTS` holds both versions: ``"statute"`` (the amounts written in the Code) and
``"2025"`` (the CPI-adjusted amounts in force from 1 January 2025; the default). CCPA penalties
have no overall cap: they scale with the number of violations (often counted per consumer).

This is a teaching calculator of statutory *maxima*, not legal advice.
"""
from __future__ import annotations

from dataclasses import dataclass

from mlops_course._validation import check_choice, check_int, check_nonnegative

__all__ = ["GDPRTier", "GDPR_TIERS", "CCPA_AMOUNTS", "gdpr_max_fine", "gdpr_crossover_turnover",
           "ccpa_max_penalty", "penalty_rows"]


@dataclass(frozen=True)
class GDPRTier:
    """A GDPR fine tier: the article, the fixed cap (EUR) and the turnover rate.

    Parameters
    ----------
    article : str
        The GDPR article setting the tier.
    fixed_eur : float
        Fixed cap in EUR.
    rate : float
        Share of the worldwide annual turnover (the cap is the higher of the two for an undertaking).
    covers : str
        Which infringements fall in the tier.
    """

    article: str
    fixed_eur: float
    rate: float
    covers: str


GDPR_TIERS: dict[str, GDPRTier] = {
    "lower": GDPRTier("Art. 83(4)", 10_000_000.0, 0.02,
                      "controller/processor obligations (Art. 8, 11, 25-39), certification (Art. 42, 43)"),
    "upper": GDPRTier("Art. 83(5)-(6)", 20_000_000.0, 0.04,
                      "principles, lawful basis, consent, special categories (Art. 5, 6, 7, 9), "
                      "data subjects' rights (Art. 12-22), transfers (Art. 44-49), orders of the authority"),
}

#: CCPA per-violation maxima (USD): (per violation, per intentional violation or involving minors < 16)
CCPA_AMOUNTS: dict[str, tuple[float, float]] = {
    "statute": (2_500.0, 7_500.0),   # Cal. Civ. Code §1798.155(a), §1798.199.90(a) as written
    "2025": (2_663.0, 7_988.0),      # CPI-adjusted under §1798.199.95(d), effective 2025-01-01
}


def _tier(tier: str) -> GDPRTier:
    check_choice("tier", tier, GDPR_TIERS)
    return GDPR_TIERS[tier]


def gdpr_max_fine(turnover_eur: float, tier: str = "upper", *, undertaking: bool = True) -> float:
    """Maximum GDPR administrative fine (Art. 83(4)/(5)): ``max(fixed, rate × turnover)``.

    Parameters
    ----------
    turnover_eur : float
        Total worldwide annual turnover of the preceding financial year, EUR, >= 0.
    tier : {"upper", "lower"}
        ``"upper"``: Art. 83(5)/(6), €20M or 4 %; ``"lower"``: Art. 83(4), €10M or 2 %.
    undertaking : bool
        The percentage applies only to undertakings; otherwise the cap is the fixed amount.

    Returns
    -------
    float
        The cap in EUR.

    Examples
    --------
    >>> gdpr_max_fine(1e9)          # 4 % of €1bn beats €20M
    40000000.0
    >>> gdpr_max_fine(1e8, "lower")  # 2 % of €100M is less than €10M
    10000000.0
    """
    t = _tier(tier)
    turnover = check_nonnegative("turnover_eur", turnover_eur)
    if not undertaking:
        return t.fixed_eur
    return max(t.fixed_eur, t.rate * turnover)


def gdpr_crossover_turnover(tier: str = "upper") -> float:
    """Turnover above which the percentage exceeds the fixed cap: fixed / rate (€500M for both tiers)."""
    t = _tier(tier)
    return t.fixed_eur / t.rate


def ccpa_max_penalty(violations: int, intentional_or_minor: int = 0, version: str = "2025") -> float:
    """Maximum CCPA administrative fine / civil penalty (§1798.155(a), §1798.199.90(a)), USD.

    ``violations × a + intentional_or_minor × b`` with ``(a, b) = CCPA_AMOUNTS[version]``;
    ``violations`` counts the ordinary violations, ``intentional_or_minor`` those that are
    intentional or involve consumers known to be under 16.

    Parameters
    ----------
    violations : int
        Ordinary violations (>= 0).
    intentional_or_minor : int, default 0
        Intentional violations or those involving consumers under 16 (>= 0).
    version : str, default "2025"
        Key of :data:`CCPA_AMOUNTS` (the amounts in force).

    Returns
    -------
    float
        The maximum penalty in USD.

    Raises
    ------
    ValueError
        Unknown ``version`` or a negative count.
    TypeError
        A count that is not an integer.

    Examples
    --------
    >>> ccpa_max_penalty(1000, version="statute")
    2500000.0
    >>> ccpa_max_penalty(0, 10)
    79880.0
    """
    check_choice("version", version, CCPA_AMOUNTS)
    n = check_int("violations", violations, minimum=0)
    m = check_int("intentional_or_minor", intentional_or_minor, minimum=0)
    a, b = CCPA_AMOUNTS[version]
    return n * a + m * b


def penalty_rows(turnovers_eur: list[float]) -> list[list[object]]:
    """Rows ``[turnover, lower-tier cap, upper-tier cap, which term binds]`` for a table."""
    rows = []
    for t in turnovers_eur:
        upper = gdpr_max_fine(t, "upper")
        binding = "4 % of turnover" if 0.04 * t > GDPR_TIERS["upper"].fixed_eur else "€20M fixed"
        rows.append([t, gdpr_max_fine(t, "lower"), upper, binding])
    return rows
