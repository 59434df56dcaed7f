"""Linkage attacks and k-anonymity.

Cross-checks: equivalence-class sizes and k against pandas ``groupby`` (an independent
implementation); minimality of the generalisation by brute force over the whole lattice;
Sweeney's property that a k-anonymous release defeats the unique-match linkage attack.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from mlops_course.compliance.kanonymity import (
    AGE,
    SUPPRESS,
    ZIP,
    equivalence_classes,
    generalise,
    generalise_age,
    generalise_zip,
    is_k_anonymous,
    k_anonymity,
    l_diversity,
    minimal_generalisation,
)
from mlops_course.compliance.linkage import (
    dictionary_attack,
    linkage_attack,
    reidentification_rate,
    sha256_hex,
    uniqueness,
)
from mlops_course.compliance.pii import keyed_hash
from mlops_course.compliance.synthetic import make_people

QI = ["zip", "age", "sex"]
HIER = {"zip": ZIP, "age": AGE, "sex": SUPPRESS}


@pytest.fixture(scope="module")
def people():
    return make_people(300, np.random.default_rng(11))


def _release(people):
    return [{"pid": keyed_hash(p["subject_id"], b"k" * 16), "zip": p["zip"], "age": p["age"], "sex": p["sex"],
             "defaulted": p["defaulted"]} for p in people]


def test_linkage_reidentifies_exactly_the_unique_records(people):
    released = _release(people)
    aux = [{"name": p["name"], "zip": p["zip"], "age": p["age"], "sex": p["sex"]} for p in people]
    found = linkage_attack(released, aux, QI, "name")
    rate = reidentification_rate(found, [p["name"] for p in people])
    assert rate == pytest.approx(uniqueness(released, QI))
    assert rate > 0.5  # pseudonymised, yet most people are re-identified
    assert all(people[i]["name"] == who for i, who in found.items())


def test_k_anonymous_release_defeats_unique_match_linkage(people):
    g = minimal_generalisation(_release(people), QI, 5, HIER, max_suppression=10)
    aux = generalise([{"name": p["name"], "zip": p["zip"], "age": p["age"], "sex": p["sex"]} for p in people],
                     g.levels, HIER)
    assert is_k_anonymous(g.rows, QI, 5)
    assert linkage_attack(g.rows, aux, QI, "name") == {}


def test_k_and_classes_match_pandas_groupby(people):
    for levels in ({"zip": 0, "age": 0, "sex": 0}, {"zip": 2, "age": 2, "sex": 0}, {"zip": 3, "age": 3, "sex": 1}):
        rows = generalise(people, levels, HIER)
        sizes = pd.DataFrame(rows).groupby(QI).size()
        assert k_anonymity(rows, QI) == int(sizes.min())
        ours = sorted(len(v) for v in equivalence_classes(rows, QI).values())
        assert ours == sorted(int(s) for s in sizes)


@pytest.mark.parametrize("k,suppress", [(2, 0), (5, 0), (5, 15), (10, 5)])
def test_minimal_generalisation_is_minimal_by_brute_force(people, k, suppress):
    rows = people[:120]
    g = minimal_generalisation(rows, QI, k, HIER, max_suppression=suppress)
    assert g.k >= k and len(g.suppressed) <= suppress and len(g.rows) == len(rows) - len(g.suppressed)
    assert is_k_anonymous(g.rows, QI, k)
    for node in itertools.product(range(6), range(5), range(2)):
        if sum(node) < g.height:
            table = generalise(rows, dict(zip(QI, node, strict=True)), HIER)
            classes = equivalence_classes(table, QI)
            outliers = sum(len(v) for v in classes.values() if len(v) < k)
            assert outliers > suppress, node


def test_generalisation_hierarchies():
    assert [generalise_age(37, level) for level in range(5)] == ["37", "35-39", "30-39", "20-39", "*"]
    assert [generalise_age(40, 3), generalise_age(0, 2)] == ["40-59", "0-9"]
    assert [generalise_zip("94107", level) for level in range(6)] == [
        "94107", "9410*", "941**", "94***", "9****", "*****"]


def test_l_diversity_homogeneity():
    rows = [{"zip": "1", "dx": "flu"}, {"zip": "1", "dx": "flu"}, {"zip": "2", "dx": "flu"}, {"zip": "2", "dx": "hiv"}]
    assert k_anonymity(rows, ["zip"]) == 2 and l_diversity(rows, ["zip"], "dx") == 1


def test_dictionary_attack_breaks_unkeyed_hash_not_keyed(people):
    emails = [p["email"] for p in people]
    unkeyed = [sha256_hex(e) for e in emails[:50]]
    keyed = [keyed_hash(e, b"secret-key-16byt") for e in emails[:50]]
    assert dictionary_attack(unkeyed, emails) == dict(zip(unkeyed, emails[:50], strict=True))
    assert dictionary_attack(keyed, emails) == {}
    assert dictionary_attack(keyed, emails, lambda v: keyed_hash(v, b"secret-key-16byt")) != {}  # key leaked


def test_bad_input(people):
    with pytest.raises(ValueError, match="k must be <="):
        minimal_generalisation(people[:3], QI, 4, HIER)
    with pytest.raises(ValueError, match="hierarchy"):
        minimal_generalisation(people, QI, 2, {"zip": ZIP})
    with pytest.raises(ValueError, match="quasi-identifier"):
        k_anonymity([{"a": 1}], ["b"])
    with pytest.raises(ValueError, match="empty"):
        k_anonymity([], ["a"])
    with pytest.raises(TypeError, match="rows"):
        k_anonymity({"a": 1}, ["a"])
    with pytest.raises(ValueError, match="quasi_identifiers"):
        uniqueness([{"a": 1}], "a")
    with pytest.raises(ValueError, match="level"):
        generalise_age(30, 5)
    with pytest.raises(ValueError, match="zipcode"):
        generalise_zip("94-07", 1)
    with pytest.raises(ValueError, match="lacks"):
        linkage_attack([{"zip": 1}], [{"zip": 1}], ["zip"], "name")
    with pytest.raises(ValueError, match="levels"):
        generalise(people, {"sex": 2}, HIER)
    with pytest.raises(ValueError, match="truth"):
        reidentification_rate({}, [])
