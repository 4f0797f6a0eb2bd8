"""Filter syntax and paging of list calls (contract 3.1-3.3, 1.6)."""

import time
import uuid

import pytest

from trivoreid.models.groups import Group
from trivoreid.models.namespace import Namespace
from trivoreid.models.user import User
from trivoreid.utils.criteria import Filter

from conftest import RawFilter, and_, eq, expect_error, or_, purge_namespace, unique_code

# name, family name, emails?, locked, groups
PEOPLE = [
    ("alice", "Smith", True, False, ["fgroup1"]),
    ("bob", "Jones", True, False, ["fgroup1"]),
    ("carol", "Smith", True, False, ["fgroup2"]),
    ("dave", "Brown", False, True, []),
    ("eve", "White", False, False, []),
    ("frank", "Green", False, False, []),
    ("grace", "Hall", False, False, []),
]


@pytest.fixture(scope="module")
def pop(api):
    """A namespace with seven users created in a known order."""
    code = unique_code("flt")
    api.namespace_service.create(Namespace({"code": code, "name": "Filters"}))
    sfx = uuid.uuid4().hex[:8]
    digits = str(uuid.uuid4().int)[:6]
    users = {}
    try:
        for i, (first, last, has_email, locked, groups) in enumerate(PEOPLE):
            data = {
                "nsCode": code,
                "username": f"{first}{last.lower()}",
                "name": {"givenName": first.capitalize(), "familyName": last},
                "locked": locked,
                "memberOf": groups,
                "mobiles": [{"number": f"+35840{digits}{i}"}],
            }
            if has_email:
                data["emails"] = [{"address": f"{first}@{sfx}.example.com"}]
            users[first] = api.user_service.create(User(data))
            time.sleep(0.02)  # distinct meta.created instants
        groups = {g.name: g for g in api.group_service.get_all(eq("nsCode", code)).resources}
        yield {"code": code, "users": users, "groups": groups, "sfx": sfx, "digits": digits}
    finally:
        purge_namespace(api, code)


def names(page, pop):
    by_id = {u.id: n for n, u in pop["users"].items()}
    return sorted(by_id.get(u.id, f"<foreign {u.id}>") for u in page.resources)


def in_ns(pop, f):
    return and_(eq("nsCode", pop["code"]), f)


def check(api, pop, flt, expected):
    page = api.user_service.get_all(flt)
    got = names(page, pop)
    assert got == sorted(expected), f"filter {flt.generate()!r}: got {got}"
    assert page.totalResults == len(expected), f"filter {flt.generate()!r}: totalResults {page.totalResults}"
    return page


ALL = [p[0] for p in PEOPLE]


def test_ns_code_eq(api, pop):
    check(api, pop, eq("nsCode", pop["code"]), ALL)


def test_member_of_eq(api, pop):
    check(api, pop, eq("memberOf", pop["groups"]["fgroup1"].id), ["alice", "bob"])
    check(api, pop, in_ns(pop, eq("memberOf", pop["groups"]["fgroup2"].id)), ["carol"])


def test_id_eq(api, pop):
    check(api, pop, eq("id", pop["users"]["eve"].id), ["eve"])


@pytest.mark.parametrize("op,value,expected", [
    (Filter.EQUAL, "bobjones", ["bob"]),
    (Filter.STARTS_WITH, "car", ["carol"]),
    (Filter.CONTAINS, "smith", ["alice", "carol"]),
    (Filter.ENDS_WITH, "green", ["frank"]),
    (Filter.NOT_EQUAL, "bobjones", [n for n in ALL if n != "bob"]),
])
def test_username_operators(api, pop, op, value, expected):
    check(api, pop, in_ns(pop, Filter(op, "username", value)), expected)


def test_username_eq_ignores_case(api, pop):
    check(api, pop, in_ns(pop, eq("username", "BobJones")), ["bob"])


def test_email_address_eq(api, pop):
    check(api, pop, eq("emails.address", f"alice@{pop['sfx']}.example.com"), ["alice"])


def test_email_address_eq_ignores_case(api, pop):
    check(api, pop, eq("emails.address", f"ALICE@{pop['sfx'].upper()}.Example.COM"), ["alice"])


def test_mobile_number_eq(api, pop):
    check(api, pop, eq("mobiles.number", f"+35840{pop['digits']}2"), ["carol"])


def test_given_name_co(api, pop):
    check(api, pop, in_ns(pop, Filter(Filter.CONTAINS, "name.givenName", "aro")), ["carol"])


def test_family_name_eq(api, pop):
    check(api, pop, in_ns(pop, eq("name.familyName", "Smith")), ["alice", "carol"])


def test_locked_eq_bool(api, pop):
    # Python bools become bare true/false (3.1).
    assert in_ns(pop, eq("locked", False)).generate().endswith("(locked eq false)")
    check(api, pop, in_ns(pop, eq("locked", False)), [n for n in ALL if n != "dave"])
    check(api, pop, in_ns(pop, eq("locked", True)), ["dave"])


def test_meta_created_comparisons(api, pop):
    boundary = pop["users"]["dave"].meta.created
    assert boundary
    check(api, pop, in_ns(pop, Filter(Filter.GREATER_THAN, "meta.created", boundary)),
          ["eve", "frank", "grace"])
    check(api, pop, in_ns(pop, Filter(Filter.LESS_THAN, "meta.created", boundary)),
          ["alice", "bob", "carol"])
    check(api, pop, in_ns(pop, Filter(Filter.GREATER_OR_EQUAL_THAN, "meta.created", boundary)),
          ["dave", "eve", "frank", "grace"])
    check(api, pop, in_ns(pop, Filter(Filter.LESS_OR_EQUAL_THAN, "meta.created", boundary)),
          ["alice", "bob", "carol", "dave"])
    check(api, pop, in_ns(pop, Filter(Filter.GREATER_THAN, "meta.created", "2000-01-01T00:00:00.000Z")), ALL)
    check(api, pop, in_ns(pop, Filter(Filter.GREATER_THAN, "meta.created", "2999-01-01T00:00:00Z")), [])


def test_emails_present_with_trailing_space(api, pop):
    f = in_ns(pop, Filter(Filter.PRESENT, "emails"))
    assert f.generate().endswith("(emails pr )")
    check(api, pop, f, ["alice", "bob", "carol"])


def test_or_combination(api, pop):
    f = in_ns(pop, or_(eq("username", "alicesmith"), eq("username", "bobjones")))
    assert "  or  " in f.generate() and "  and  " in f.generate()
    check(api, pop, f, ["alice", "bob"])


def test_nested_combination(api, pop):
    f = in_ns(pop, or_(and_(eq("name.familyName", "Smith"), Filter(Filter.PRESENT, "emails")),
                       eq("locked", True)))
    check(api, pop, f, ["alice", "carol", "dave"])


def test_not(api, pop):
    check(api, pop, RawFilter(f'nsCode eq "{pop["code"]}" and not (locked eq true)'),
          [n for n in ALL if n != "dave"])
    check(api, pop, RawFilter(f'(nsCode eq "{pop["code"]}")  and  not  (emails pr )'),
          ["dave", "eve", "frank", "grace"])


def test_operators_are_case_insensitive(api, pop):
    check(api, pop, RawFilter(f'nsCode Eq "{pop["code"]}" AND username SW "car"'), ["carol"])
    check(api, pop, RawFilter(f'nsCode EQ "{pop["code"]}" And (username eq "alicesmith" OR username eq "evewhite")'),
          ["alice", "eve"])


def test_whitespace_tolerance(api, pop):
    check(api, pop, RawFilter(f'   nsCode    eq   "{pop["code"]}"   and   ( locked eq true )  '), ["dave"])


def test_and_without_parentheses_binds_tighter_than_or(api, pop):
    code = pop["code"]
    check(api, pop, RawFilter(f'nsCode eq "{code}" and username eq "alicesmith" or '
                              f'nsCode eq "{code}" and username eq "bobjones"'), ["alice", "bob"])


# --------------------------------------------------------------------------- #
# Paging
# --------------------------------------------------------------------------- #

def test_paging(api, pop):
    f = lambda: eq("nsCode", pop["code"])  # noqa: E731
    full = api.user_service.get_all(f(), start_index=0, count=100)
    full_ids = [u.id for u in full.resources]
    assert len(full_ids) == 7 and full.totalResults == 7
    pages = []
    for start in (0, 3, 6):
        page = api.user_service.get_all(f(), start_index=start, count=3)
        assert page.totalResults == 7, f"totalResults on page at {start}: {page.totalResults}"
        if page.startIndex is not None:
            assert page.startIndex == start
        pages.append([u.id for u in page.resources])
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [i for p in pages for i in p]
    assert len(set(flat)) == 7, "duplicates across pages"
    assert set(flat) == {u.id for u in pop["users"].values()}
    assert flat == full_ids, "pages must follow the same stable order as the full list"
    again = [u.id for u in api.user_service.get_all(f(), start_index=0, count=100).resources]
    assert again == full_ids
    beyond = api.user_service.get_all(f(), start_index=7, count=3)
    assert beyond.resources == [] and beyond.totalResults == 7


def test_default_order_is_creation_order(api, pop):
    page = api.user_service.get_all(eq("nsCode", pop["code"]))
    assert [u.id for u in page.resources] == [pop["users"][p[0]].id for p in PEOPLE]


def test_count_is_clamped_to_500(api):
    code = unique_code("clamp")
    api.namespace_service.create(Namespace({"code": code, "name": "Clamp"}))
    try:
        for _ in range(501):
            api.user_service.create(User({"nsCode": code}), password="Cl4mpTest9Pass")
        page = api.user_service.get_all(eq("nsCode", code), start_index=0, count=1000)
        assert page.totalResults == 501
        assert len(page.resources) == 500
        if page.itemsPerPage is not None:
            assert page.itemsPerPage == 500
        rest = api.user_service.get_all(eq("nsCode", code), start_index=500, count=1000)
        assert len(rest.resources) == 1
        first_ids = {u.id for u in page.resources}
        assert rest.resources[0].id not in first_ids
    finally:
        purge_namespace(api, code)


# --------------------------------------------------------------------------- #
# Bad filters
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("text", [
    'nsCode eq',
    '(nsCode eq "x"',
    'nsCode eq "x")',
    'nsCode zz "x"',
    'username eq "unterminated',
    'and',
    'nsCode eq "x" and',
    '"x" eq nsCode',
    'nsCode eq "x" garbage',
])
def test_unparsable_filter_is_400(api, text):
    expect_error(400, api.user_service.get_all, RawFilter(text))


def test_unknown_attribute_is_400(api):
    expect_error(400, api.user_service.get_all, eq("noSuchAttribute", "x"))


def test_unparsable_group_and_namespace_filters_are_400(api):
    expect_error(400, api.group_service.get_all, RawFilter('name eq'))
    expect_error(400, api.namespace_service.get_all, RawFilter('code eq "x" or'))


# --------------------------------------------------------------------------- #
# Group and namespace filters
# --------------------------------------------------------------------------- #

def test_group_filters(api, make_namespace):
    ns = make_namespace()
    red = api.group_service.create(Group({"name": "red", "nsCode": ns.code, "description": "Warm colour"}))
    blue = api.group_service.create(Group({"name": "blue", "nsCode": ns.code, "description": "Cool colour"}))
    green = api.group_service.create(Group({"name": "green", "nsCode": ns.code, "description": "Natural"}))

    def ids(f):
        page = api.group_service.get_all(f)
        assert page.totalResults == len(page.resources)
        return {g.id for g in page.resources}

    assert ids(eq("nsCode", ns.code)) == {red.id, blue.id, green.id}
    assert ids(and_(eq("nsCode", ns.code), eq("name", "blue"))) == {blue.id}
    assert ids(and_(eq("nsCode", ns.code), Filter(Filter.CONTAINS, "description", "colour"))) == {red.id, blue.id}
    assert ids(and_(eq("nsCode", ns.code), eq("description", "Natural"))) == {green.id}
    assert ids(and_(eq("nsCode", ns.code), Filter(Filter.STARTS_WITH, "name", "gr"))) == {green.id}
    assert ids(eq("id", red.id)) == {red.id}
    assert ids(and_(eq("nsCode", ns.code), or_(eq("name", "red"), eq("name", "green")))) == {red.id, green.id}


def test_namespace_filters(api, make_namespace):
    label = unique_code("Label ")
    a = make_namespace(name=label)
    b = make_namespace(name=label + " two")

    def codes(f):
        page = api.namespace_service.get_all(f)
        assert page.totalResults == len(page.resources)
        return {n.code for n in page.resources}

    assert codes(eq("code", a.code)) == {a.code}
    assert codes(eq("name", label)) == {a.code}
    assert codes(Filter(Filter.STARTS_WITH, "name", label)) == {a.code, b.code}
    assert codes(or_(eq("code", a.code), eq("code", b.code))) == {a.code, b.code}
    assert codes(and_(eq("code", a.code), eq("name", label + " two"))) == set()


# --------------------------------------------------------------------------- #
# Value forms
# --------------------------------------------------------------------------- #

def test_boolean_as_quoted_string(api, pop):
    # 6.1.7: the extension SDK sends booleans as "True"/"False" strings.
    check(api, pop, in_ns(pop, RawFilter('locked eq "True"')), ["dave"])
    check(api, pop, in_ns(pop, RawFilter('locked eq "False"')), [n for n in ALL if n != "dave"])


def test_datetime_values_compare_as_instants(api, pop):
    # 3.2: a quoted value that parses as an ISO instant is compared as a date-time,
    # so "...:31Z" is earlier than "...:31.785Z" although it sorts later as text.
    created = pop["users"]["dave"].meta.created
    whole_seconds = created[:19] + "Z"
    if whole_seconds == created:
        pytest.skip("dave was created on a whole second")
    page = api.user_service.get_all(in_ns(pop, Filter(Filter.GREATER_THAN, "meta.created", whole_seconds)))
    assert "dave" in names(page, pop), f"meta.created gt {whole_seconds!r} must include {created!r}"
    page = api.user_service.get_all(in_ns(pop, Filter(Filter.LESS_OR_EQUAL_THAN, "meta.created", whole_seconds)))
    assert "dave" not in names(page, pop)


def test_quoted_values_with_special_characters(api, make_namespace):
    ns = make_namespace()
    tricky = [
        ("Ann & Co", "Smith and (Jones)"),
        ("Åsa", "Öberg-Ström"),
        ("Plus+Sign", "Percent %20 literal"),
    ]
    ids = {}
    for given, family in tricky:
        u = api.user_service.create(User({"nsCode": ns.code, "name": {"givenName": given, "familyName": family}}))
        ids[given] = u.id

    def found(f):
        return {u.id for u in api.user_service.get_all(and_(eq("nsCode", ns.code), f)).resources}

    assert found(Filter(Filter.CONTAINS, "name.givenName", "Ann & Co")) == {ids["Ann & Co"]}
    assert found(eq("name.familyName", "Smith and (Jones)")) == {ids["Ann & Co"]}
    assert found(eq("name.givenName", "Åsa")) == {ids["Åsa"]}
    assert found(Filter(Filter.ENDS_WITH, "name.familyName", "Ström")) == {ids["Åsa"]}
    assert found(eq("name.givenName", "Plus+Sign")) == {ids["Plus+Sign"]}
    assert found(eq("name.familyName", "Percent %20 literal")) == {ids["Plus+Sign"]}


def test_email_address_suffix_and_exact_instant(api, pop):
    check(api, pop, Filter(Filter.ENDS_WITH, "emails.address", f"@{pop['sfx']}.example.com"),
          ["alice", "bob", "carol"])
    check(api, pop, in_ns(pop, eq("meta.created", pop["users"]["eve"].meta.created)), ["eve"])


def test_values_matching_nothing(api, pop):
    check(api, pop, eq("id", "not-an-id"), [])
    check(api, pop, eq("id", "000000000000000000000000"), [])
    check(api, pop, in_ns(pop, eq("memberOf", "000000000000000000000000")), [])
    check(api, pop, in_ns(pop, eq("username", "")), [])
