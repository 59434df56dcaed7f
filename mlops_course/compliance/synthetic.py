"""Synthetic personal data for the compliance unit: fake people and a labelled PII corpus.

Nothing here is real. Names come from a small built-in list; e-mail domains are the reserved
example domains of RFC 2606 (``example.org``, ``example.com``); US phone numbers use the
fictional range 555-0100…555-0199 and UK numbers Ofcom's drama range 020 7946 0xxx; card numbers
are random digits completed with a Luhn check digit; IP addresses come from the documentation
ranges of RFC 5737 (IPv4) and RFC 3849 (IPv6). Everything is drawn from an explicit, seeded
``numpy.random.Generator``.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from mlops_course._validation import check_int, check_rng

__all__ = ["FIRST_NAMES", "LAST_NAMES", "make_people", "make_pii_corpus", "luhn_complete",
           "LabelledText"]

FIRST_NAMES: tuple[str, ...] = (
    "Alice", "Bruno", "Chiara", "Deepak", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kamala", "Lars", "Mira", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tanja",
    "Ulrich", "Vera", "Wei", "Ximena", "Yusuf", "Zofia",
)
LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Berg", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
)
# a handful of ZIP-code areas so that quasi-identifiers collide as they do in real data
_ZIP_PREFIXES = ("021", "021", "021", "100", "100", "606", "941")

LabelledText = tuple[str, list[tuple[int, int, str]]]


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit to ``digits`` (ISO/IEC 7812-1, Annex B).

    From the right, double every second digit of the payload plus check digit, subtract 9 from
    results above 9, and choose the check digit so that the total is ``≡ 0 (mod 10)``.

    Examples
    --------
    >>> luhn_complete("7992739871")
    '79927398713'
    """
    if not digits.isdigit():
        raise ValueError(f"digits must be a non-empty string of decimal digits, got {digits!r}")
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def _card(rng: np.random.Generator) -> str:
    prefix = str(rng.choice(["4", "51", "52", "55", "37", "6011"]))
    length = 15 if prefix == "37" else 16
    body = prefix + "".join(str(d) for d in rng.integers(0, 10, size=length - 1 - len(prefix)))
    return luhn_complete(body)


def _group_card(number: str, sep: str) -> str:
    groups = [number[:4], number[4:10], number[10:]] if len(number) == 15 else \
        [number[i:i + 4] for i in range(0, len(number), 4)]
    return sep.join(groups)


def _ssn(rng: np.random.Generator) -> str:
    area = int(rng.integers(1, 900))
    while area == 666:
        area = int(rng.integers(1, 900))
    return f"{area:03d}-{int(rng.integers(1, 100)):02d}-{int(rng.integers(1, 10_000)):04d}"


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _nino(rng: np.random.Generator, spaced: bool) -> str:
    while True:
        prefix = str(rng.choice(list(_NINO_FIRST))) + str(rng.choice(list(_NINO_SECOND)))
        if prefix not in _NINO_BAD_PREFIXES:
            break
    d = "".join(str(x) for x in rng.integers(0, 10, size=6))
    suffix = str(rng.choice(list("ABCD")))
    return f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}" if spaced else f"{prefix}{d}{suffix}"


def _phone(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 3))
    last = int(rng.integers(100, 200))
    if kind == 0:
        return f"+1 {int(rng.integers(201, 990))} 555 {last:04d}"
    if kind == 1:
        return f"({int(rng.integers(201, 990))}) 555-{last:04d}"
    return f"+44 20 7946 0{int(rng.integers(0, 1000)):03d}"


def _ip(rng: np.random.Generator) -> str:
    if rng.random() < 0.8:
        net = str(rng.choice(["192.0.2", "198.51.100", "203.0.113"]))
        return f"{net}.{int(rng.integers(1, 255))}"
    return f"2001:db8::{int(rng.integers(1, 0xFFFF)):x}"


def make_people(n: int, rng: np.random.Generator, *, start: datetime | None = None) -> list[dict[str, Any]]:
    """``n`` fake data subjects of a lender: identifiers, quasi-identifiers, features and a label.

    Columns: ``subject_id`` (``"S0001"``…), ``name``, ``email``, ``phone``, ``ssn``, ``zip``,
    ``birth_year``, ``age``, ``sex``, ``income`` (k€), ``debt_ratio``, ``defaulted`` (0/1, drawn from a
    logistic model of income and debt ratio) and ``collected_at`` (a UTC datetime within two years
    of ``start``).

    Parameters
    ----------
    n : int
        Number of people, >= 1.
    rng : numpy.random.Generator
    start : datetime, optional
        Earliest collection time (default 2023-01-01 UTC).

    Returns
    -------
    list of dict
        One record per person.

    Examples
    --------
    >>> people = make_people(3, np.random.default_rng(0))
    >>> [p["subject_id"] for p in people]
    ['S0001', 'S0002', 'S0003']
    """
    n = check_int("n", n, minimum=1)
    rng = check_rng(rng)
    start = start or datetime(2023, 1, 1, tzinfo=UTC)
    people = []
    for i in range(n):
        first, last = str(rng.choice(FIRST_NAMES)), str(rng.choice(LAST_NAMES))
        age = int(rng.integers(19, 80))
        income = float(np.round(rng.lognormal(3.6, 0.45), 1))
        debt = float(np.round(rng.beta(2.0, 5.0), 3))
        logit = 0.2 - 0.06 * income + 5.0 * debt - 0.02 * (age - 40)
        people.append({
            "subject_id": f"S{i + 1:04d}",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{i + 1}@example.org",
            "phone": _phone(rng),
            "ssn": _ssn(rng),
            "zip": str(rng.choice(_ZIP_PREFIXES)) + f"{int(rng.integers(0, 100)):02d}",
            "birth_year": 2024 - age,
            "age": age,
            "sex": str(rng.choice(["F", "M"])),
            "income": income,
            "debt_ratio": debt,
            "defaulted": int(rng.random() < 1.0 / (1.0 + np.exp(-logit))),
            "collected_at": start + timedelta(days=int(rng.integers(0, 730))),
        })
    return people


def make_pii_corpus(n: int, rng: np.random.Generator) -> list[LabelledText]:
    """A labelled corpus of short texts with PII spans and hard negatives.

    Each text is built from templates; every inserted identifier is recorded as a gold span
    ``(start, end, kind)`` with kind in ``email, phone, card, ssn, nino, ip, name``. Hard negatives
    that a naive regex would flag are inserted unlabelled: 16-digit order numbers failing the Luhn
    check, SSN-shaped strings with a forbidden area (000, 666, 9xx), NINO-shaped strings with a
    forbidden prefix (D…, …O) or suffix, dotted quads with an octet > 255, ISO dates, a lone
    first name and a surname used as a common word.

    Parameters
    ----------
    n : int
        Number of texts, >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    list of (text, spans)
    """
    n = check_int("n", n, minimum=1)
    rng = check_rng(rng)

    def name() -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    def email() -> str:
        return f"{str(rng.choice(FIRST_NAMES)).lower()}_{int(rng.integers(1, 99))}@example.com"

    def card() -> str:
        return _group_card(_card(rng), str(rng.choice([" ", "-", ""])))

    def bad_card() -> str:
        number = _card(rng)
        wrong = str((int(number[-1]) + int(rng.integers(1, 10))) % 10)
        return number[:-1] + wrong

    def bad_ssn() -> str:
        area = str(rng.choice(["000", "666", f"9{int(rng.integers(0, 100)):02d}"]))
        return f"{area}-{int(rng.integers(1, 100)):02d}-{int(rng.integers(1, 10_000)):04d}"

    def bad_nino() -> str:
        good = _nino(rng, spaced=False)
        return str(rng.choice(["D", "F", "Q"])) + good[1:] if rng.random() < 0.5 else good[:-1] + "E"

    templates = [
        ("Please contact {} at {} about the loan.", ("name", "email")),
        ("Call {} on {} before Friday.", ("name", "phone")),
        ("Payment card {} was declined; order {} is on hold.", ("card", "-bad_card")),
        ("Applicant SSN {} verified; form id {} rejected.", ("ssn", "-bad_ssn")),
        ("National Insurance number {} (not {}) on file.", ("nino", "-bad_nino")),
        ("Login from {} at 10:32:05 on {}.", ("ip", "-date")),
        ("Ticket by {}: reply to {} or phone {}.", ("name", "email", "phone")),
        ("Mirror {} is down, build {} failed; {} said it is fine.", ("-bad_ip", "-version", "-first")),
        ("{} paid with {} from {}.", ("name", "card", "ip")),
        ("Ask the {} team; {} knows the SSN {}.", ("-surname_word", "name", "ssn")),
    ]
    makers = {
        "name": name, "email": email, "phone": lambda: _phone(rng), "card": card,
        "ssn": lambda: _ssn(rng), "nino": lambda: _nino(rng, bool(rng.random() < 0.5)),
        "ip": lambda: _ip(rng), "bad_card": bad_card, "bad_ssn": bad_ssn, "bad_nino": bad_nino,
        "date": lambda: f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
        "bad_ip": lambda: f"{int(rng.integers(256, 999))}.{int(rng.integers(0, 255))}.0.1",
        "version": lambda: f"v{int(rng.integers(1, 9))}.{int(rng.integers(0, 20))}.{int(rng.integers(0, 9))}",
        "first": lambda: str(rng.choice(FIRST_NAMES)),
        "surname_word": lambda: "Berg",
    }
    corpus: list[LabelledText] = []
    for _ in range(n):
        fmt, kinds = templates[int(rng.integers(0, len(templates)))]
        pieces = fmt.split("{}")
        text, spans = pieces[0], []
        for kind, tail in zip(kinds, pieces[1:], strict=True):
            negative = kind.startswith("-")
            value = makers[kind.lstrip("-")]()
            if not negative:
                spans.append((len(text), len(text) + len(value), kind))
            text += value + tail
        corpus.append((text, spans))
    return corpus

