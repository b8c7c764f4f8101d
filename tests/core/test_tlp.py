"""TLP levels from marking references: TLP 2.0 and 1.0 as they say, markings nobody can resolve
as the strictest level, statements the hub holds as no level."""

from cyberhub.core import tlp

UNKNOWN = "marking-definition--00000000-0000-4000-8000-000000000001"
STATEMENT = "marking-definition--00000000-0000-4000-8000-000000000002"
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"


def test_the_strictest_named_level_wins():
    assert tlp.audience_level([tlp.IDS["clear"], tlp.IDS["amber"]], set()) == "amber"


def test_tlp_1_0_is_read_as_its_tlp_2_0_level():
    assert tlp.audience_level([TLP1_WHITE], set()) == "clear"


def test_a_marking_nobody_can_resolve_is_the_strictest_level():
    assert tlp.audience_level([tlp.IDS["clear"], UNKNOWN], set()) == "red"
    assert tlp.unresolved([tlp.IDS["clear"], UNKNOWN], set()) == [UNKNOWN]


def test_a_held_statement_marking_is_no_level():
    assert tlp.audience_level([STATEMENT], {STATEMENT}) is None
    assert tlp.audience_level([STATEMENT, tlp.IDS["green"]], {STATEMENT}) == "green"


def test_granular_markings_count():
    obj = {"object_marking_refs": [tlp.IDS["green"]],
           "granular_markings": [{"marking_ref": UNKNOWN, "selectors": ["name"]}]}
    assert tlp.marking_refs(obj) == [tlp.IDS["green"], UNKNOWN]
