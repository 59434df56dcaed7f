"""check_choice: the declarative "must be one of" validator, and the modules that now use it."""
from __future__ import annotations

import numpy as np
import pytest

from mlops_course._validation import check_choice


def test_returns_the_value_when_allowed():
    assert check_choice("kind", "email", ("email", "phone")) == "email"
    assert check_choice("tier", "upper", {"lower": 1, "upper": 2}) == "upper"


def test_message_names_argument_allowed_set_and_value():
    with pytest.raises(ValueError) as err:
        check_choice("kind", "fax", ("email", "phone"))
    assert str(err.value) == "kind must be one of ('email', 'phone'), got 'fax'"


def test_mapping_shown_by_keys_in_order_and_set_sorted():
    with pytest.raises(ValueError, match=r"^v must be one of \['b', 'a'\], got 'x'$"):
        check_choice("v", "x", {"b": 1, "a": 2})
    with pytest.raises(ValueError, match=r"^v must be one of \['a', 'b'\], got 'x'$"):
        check_choice("v", "x", {"b", "a"})


def test_note_is_appended_after_the_allowed_values():
    with pytest.raises(ValueError, match=r"must be one of \('a',\) or None, got 'z'$"):
        check_choice("interval", "z", ("a",), note=" or None")


@pytest.mark.parametrize("value", [["email"], {"email": 1}, np.array(["email"])])
def test_unhashable_value_is_a_type_error(value):
    with pytest.raises(TypeError, match=r"^kind must be one of .* got unhashable"):
        check_choice("kind", value, ("email", "phone"))


@pytest.mark.parametrize("allowed", ["abc", 3, None])
def test_allowed_must_be_a_collection(allowed):
    with pytest.raises(TypeError, match="allowed must be a collection"):
        check_choice("kind", "a", allowed)


def test_empty_allowed_is_rejected():
    with pytest.raises(ValueError, match="allowed must name at least one choice for kind"):
        check_choice("kind", "a", ())


def _calls():
    from mlops_course.compliance.pii import mask
    from mlops_course.governance.penalties import ccpa_max_penalty
    from mlops_course.privacy.fl.aggregators import get_aggregator
    from mlops_course.privacy.fl.attacks import untargeted_attack
    from mlops_course.security.threatmap import threats_in

    return [
        (lambda: mask("alice@example.org", "no-such-kind"), r"kind must be one of \("),
        (lambda: ccpa_max_penalty(1, 0, version="no-such-version"), r"version must be one of \["),
        (lambda: threats_in("no-such-framework", "x"), r"framework must be one of \("),
        (lambda: get_aggregator("no-such-aggregator"), r"aggregator must be one of \["),
        (lambda: untargeted_attack("no-such-attack", 1.0), r"attack must be one of \["),
    ]


@pytest.mark.parametrize("index", range(5))
def test_modules_raise_through_check_choice(index):
    call, pattern = _calls()[index]
    with pytest.raises(ValueError, match=pattern + r".*got 'no-such-"):
        call()


def test_no_hand_written_choice_checks_left_in_converted_modules():
    """The modules converted to check_choice keep no hand-written ``must be one of`` / ``must be 'a' or 'b'``."""
    import pathlib
    import re

    import mlops_course

    root = pathlib.Path(mlops_course.__file__).parent
    converted = [
        "compliance/pii.py", "compliance/register.py", "fairness/metrics.py", "fairness/table.py",
        "governance/catalog.py", "governance/datasheet.py", "governance/lineage.py",
        "governance/penalties.py", "governance/quality.py", "governance/standards.py",
        "privacy/dp/gaussian.py", "privacy/dp/queries.py", "privacy/fl/aggregators.py",
        "privacy/fl/attacks.py", "privacy/fl/partition.py", "privacy/he/params.py", "security/threatmap.py",
        # converted from "must be 'a' or 'b'" wording
        "security/extraction.py", "security/evasion.py", "governance/pipeline.py", "privacy/fl/dpfedavg.py",
        "privacy/fl/engine.py", "privacy/dp/accuracy.py",
    ]
    pattern = re.compile(r"raise \w+Error\(f?[\"'][^\"']*must be (one of|None or one of|'\w+'(, '\w+')* or '\w+')")
    left = {f: [m.group(0) for m in pattern.finditer((root / f).read_text())] for f in converted}
    assert {f: hits for f, hits in left.items() if hits} == {}
