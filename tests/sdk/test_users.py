"""User service basics (contract 4.1 U1-U5, 5.1-5.6, 5.12, 6.1, 7 items 3, 6, 7)."""

import re

import pytest

from trivoreid.models.groups import Group
from trivoreid.models.namespace import UsernamePolicy
from trivoreid.models.user import Names, User

from conftest import ISO_INSTANT_RE, and_, eq, expect_error, unique_code

C = "bcdfghjklmnpqrstvwxyz"
V = "aeiouy"


# --------------------------------------------------------------------------- #
# Create
# --------------------------------------------------------------------------- #

def test_create_with_only_nscode(api, make_namespace):
    ns = make_namespace()
    user_in = User({"nsCode": ns.code})
    user = api.user_service.create(user_in)
    assert user.id and re.fullmatch(r"[A-Za-z0-9._-]+", user.id)
    assert user.nsCode == ns.code
    assert re.fullmatch(r"\d{8}", user.username or ""), user.username
    assert len(user_in.password) == 15
    assert user.emails == [] and user.mobiles == [] and user.addresses == []
    assert user.memberOf == []
    assert user.locked is False
    assert user.meta.created and ISO_INSTANT_RE.match(user.meta.created), user.meta.created
    got = api.user_service.get(user.id)
    assert got.id == user.id and got.username == user.username and got.nsCode == ns.code


POLICY_PATTERNS = {
    "EIGHT_NUMBERS": r"\d{8}",
    "NINE_NUMBERS": r"\d{9}",
    "TEN_NUMBERS": r"\d{10}",
    "EIGHT_LOWER_CASE_CHARS": r"[a-z]{8}",
    "TEN_LOWER_CASE_CHARS": r"[a-z]{10}",
    "CVCV": rf"(?i)[{C}][{V}][{C}][{V}]\d*",
    "CVCVCV": rf"(?i)[{C}][{V}][{C}][{V}][{C}][{V}]\d*",
}


@pytest.mark.parametrize("policy", sorted(POLICY_PATTERNS))
def test_generated_username_follows_policy(api, make_namespace, policy):
    ns = make_namespace(policy=policy)
    assert ns.usernamePolicy == policy
    seen = set()
    for _ in range(3):
        user = api.user_service.create(User({"nsCode": ns.code}))
        assert re.fullmatch(POLICY_PATTERNS[policy], user.username or ""), \
            f"{policy} produced {user.username!r}"
        seen.add(user.username.lower())
    assert len(seen) == 3, "generated usernames must be unique in the namespace"


def test_fmlnn_policy(api, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.FMLNN)
    u = api.user_service.create(User({"nsCode": ns.code, "name": {
        "givenName": "Ann", "middleName": "Marie", "familyName": "Example"}}))
    assert re.fullmatch(r"(?i)am?e\d{2,4}", u.username or ""), u.username
    u2 = api.user_service.create(User({"nsCode": ns.code, "name": {"givenName": "Bob", "familyName": "Smith"}}))
    assert re.fullmatch(r"(?i)b[a-z]?s\d{2,4}", u2.username or ""), u2.username


def test_email_policy_uses_first_email(api, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.EMAIL)
    first = f"{unique_code('first')}@example.com"
    u = api.user_service.create(User({"nsCode": ns.code, "emails": [
        {"address": first}, {"address": f"{unique_code('second')}@example.com"}]}))
    assert u.username == first


def test_manual_policy_requires_username(api, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.MANUAL)
    expect_error(400, api.user_service.create, User({"nsCode": ns.code}))
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 0
    name = unique_code("manual")
    u = api.user_service.create(User({"nsCode": ns.code, "username": name}))
    assert u.username == name


def test_email_policy_without_email_is_400(api, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.EMAIL)
    expect_error(400, api.user_service.create, User({"nsCode": ns.code}))
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 0


def test_fmlnn_policy_without_names_is_400(api, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.FMLNN)
    expect_error(400, api.user_service.create, User({"nsCode": ns.code}))
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 0


@pytest.mark.parametrize("policy", ["EIGHT_NUMBERS", "EMAIL", "CVCV", "FMLNN", "TEN_LOWER_CASE_CHARS", "MANUAL"])
def test_client_supplied_username_wins(api, make_namespace, policy):
    ns = make_namespace(policy=policy)
    name = unique_code("chosen")
    u = api.user_service.create(User({
        "nsCode": ns.code, "username": name,
        "emails": [{"address": f"{unique_code('e')}@example.com"}],
        "name": {"givenName": "Ann", "familyName": "Example"}}))
    assert u.username == name
    assert api.user_service.get(u.id).username == name


def test_duplicate_username_is_409_case_insensitive(api, make_namespace):
    ns = make_namespace()
    other = make_namespace()
    first = api.user_service.create(User({"nsCode": ns.code, "username": "alice"}))
    assert first.username == "alice"
    expect_error(409, api.user_service.create, User({"nsCode": ns.code, "username": "alice"}))
    expect_error(409, api.user_service.create, User({"nsCode": ns.code, "username": "Alice"}))
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 1
    elsewhere = api.user_service.create(User({"nsCode": other.code, "username": "alice"}))
    assert elsewhere.username == "alice" and elsewhere.nsCode == other.code


def test_update_to_taken_username_is_409(api, make_namespace):
    ns = make_namespace()
    api.user_service.create(User({"nsCode": ns.code, "username": "taken"}))
    bob = api.user_service.create(User({"nsCode": ns.code, "username": "bob"}))
    bob.username = "TAKEN"
    expect_error(409, api.user_service.update, bob)
    assert api.user_service.get(bob.id).username == "bob"


def test_sdk_style_passwords_pass_default_policy(api, make_namespace):
    # U2 / 6.1.13: 15 alphanumerics, sometimes without a digit, with a doubled
    # character or a 3-character run; the default policy must accept all of them.
    ns = make_namespace()
    for pw in ["kQzPwMbRtXvNhJs", "xx4Gh7Tp2Wq9Zr5", "Tq8abcNw3Lk5Ry7", "Mn3Kp9Lq2Wx7Zv4"]:
        u = api.user_service.create(User({"nsCode": ns.code}), password=pw)
        assert u.id, pw


def test_generated_passwords_accepted(api, make_namespace):
    ns = make_namespace()
    for _ in range(15):
        user_in = User({"nsCode": ns.code})
        u = api.user_service.create(user_in)
        assert u.id, user_in.password


def test_non_ascii_round_trip(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code, "nickName": "Jääskeläinen ☃",
                                      "name": {"givenName": "Åsa", "familyName": "Öberg"}}))
    got = api.user_service.get(u.id)
    assert got.nickName == "Jääskeläinen ☃"
    assert got.name.givenName == "Åsa" and got.name.familyName == "Öberg"


# --------------------------------------------------------------------------- #
# memberOf with names (U2, U4, 6.1.3)
# --------------------------------------------------------------------------- #

def test_member_of_names_auto_create_groups(api, make_namespace):
    ns = make_namespace()
    existing = api.group_service.create(Group({"name": "existing", "nsCode": ns.code}))
    u = api.user_service.create(User({"nsCode": ns.code, "memberOf": ["existing", "fresh", existing.id]}))
    groups = {g.name: g for g in api.group_service.get_all(eq("nsCode", ns.code)).resources}
    assert set(groups) == {"existing", "fresh"}, "names resolve to existing groups; only missing ones are created"
    assert groups["fresh"].nsCode == ns.code
    assert set(u.memberOf) == {existing.id, groups["fresh"].id}
    assert "fresh" not in u.memberOf and "existing" not in u.memberOf
    # A second user naming the same group joins it, no duplicate group appears.
    u2 = api.user_service.create(User({"nsCode": ns.code, "memberOf": ["fresh"]}))
    assert u2.memberOf == [groups["fresh"].id]
    assert api.group_service.get_all(and_(eq("nsCode", ns.code), eq("name", "fresh"))).totalResults == 1


def test_member_of_names_are_per_namespace(api, make_namespace):
    a, b = make_namespace(), make_namespace()
    ga = api.group_service.create(Group({"name": "shared", "nsCode": a.code}))
    ub = api.user_service.create(User({"nsCode": b.code, "memberOf": ["shared"]}))
    assert len(ub.memberOf) == 1 and ub.memberOf[0] != ga.id
    gb = api.group_service.get(ub.memberOf[0])
    assert gb.nsCode == b.code and gb.name == "shared"


def test_update_member_of_names(api, make_namespace):
    # 7 item 7: memberOf = ['gr001', 'gr002'] (names) on update.
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    u.memberOf = ["gr001", "gr002"]
    updated = api.user_service.update(u)
    assert len(updated.memberOf) == 2
    groups = api.group_service.get_all(eq("nsCode", ns.code)).resources
    assert sorted(g.name for g in groups) == ["gr001", "gr002"]
    assert set(updated.memberOf) == {g.id for g in groups}


# --------------------------------------------------------------------------- #
# Update (U4, 6.1.5)
# --------------------------------------------------------------------------- #

def test_update_semantics(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({
        "nsCode": ns.code, "username": "keeper",
        "name": {"givenName": "Ann", "middleName": "M", "familyName": "Old"},
        "memberOf": ["one", "two"], "nickName": "nick",
        "emails": [{"address": "old@example.com"}]}))
    assert len(u.memberOf) == 2

    fetched = api.user_service.get(u.id)
    fetched.username = None          # null username keeps it
    fetched.nsCode = None            # null nsCode keeps it
    fetched.memberOf = ["three"]     # list replaces membership
    fetched.name = Names({"givenName": "Bob"})  # object replaces the stored one
    fetched.emails = fetched.emails[:0]
    fetched.nickName = None          # null clears an optional scalar
    updated = api.user_service.update(fetched)

    three = api.group_service.get_all(and_(eq("nsCode", ns.code), eq("name", "three"))).resources
    assert len(three) == 1
    for got in (updated, api.user_service.get(u.id)):
        assert got.id == u.id
        assert got.username == "keeper"
        assert got.nsCode == ns.code
        assert got.memberOf == [three[0].id]
        assert got.name.serialize() == {"givenName": "Bob", "middleName": None, "familyName": None}
        assert got.emails == []
        assert got.nickName is None


def test_update_with_locally_built_user(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code, "username": "local"}))
    updated = api.user_service.update(User({"nickName": "Zed", "locale": "fi"}), u.id)
    assert updated.id == u.id
    got = api.user_service.get(u.id)
    assert got.username == "local"
    assert got.nsCode == ns.code
    assert got.nickName == "Zed" and got.locale == "fi"


def test_update_round_trip_of_contact_data(api, make_namespace):
    # 7 item 6: consents, two emails, two mobiles (one plain, one with name and
    # tags), one address and name serialise identically after update + get.
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    sent = User({
        "emails": [{"address": "plain@example.com"},
                   {"address": "tagged@example.com", "name": "work", "tags": ["a", "b"]}],
        "mobiles": [{"number": "+358401111111"},
                    {"number": "+358402222222", "name": "work", "tags": ["m1"]}],
        "addresses": [{"name": "home", "country": "FI", "locality": "Espoo", "postalCode": "02100",
                       "streetAddress": "Tie 2", "type": "TEMPORARY", "region": "Uusimaa"}],
        "name": {"givenName": "Cee", "middleName": "D", "familyName": "Eff"},
        "consents": {"marketingEmail": True, "profiling": True},
    })
    u.emails, u.mobiles, u.addresses = sent.emails, sent.mobiles, sent.addresses
    u.name, u.consents = sent.name, sent.consents
    api.user_service.update(u)
    got = api.user_service.get(u.id)
    assert [e.serialize() for e in got.emails] == [e.serialize() for e in sent.emails]
    assert [m.serialize() for m in got.mobiles] == [m.serialize() for m in sent.mobiles]
    assert [a.serialize() for a in got.addresses] == [a.serialize() for a in sent.addresses]
    assert got.name.serialize() == sent.name.serialize()
    assert got.consents.serialize() == sent.consents.serialize()


def test_locked_flag_round_trip(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code, "locked": True}))
    assert u.locked is True
    u.locked = False
    assert api.user_service.update(u).locked is False
    assert api.user_service.get(u.id).locked is False


def test_update_unknown_user_is_404(api):
    expect_error(404, api.user_service.update, User({"nickName": "x"}), "000000000000000000000000")


# --------------------------------------------------------------------------- #
# Delete (U5)
# --------------------------------------------------------------------------- #

def test_delete_then_404(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    api.user_service.delete(u.id)
    expect_error(404, api.user_service.get, u.id)
    expect_error(404, api.user_service.delete, u.id)
    assert api.user_service.get_all(eq("id", u.id)).totalResults == 0
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 0


# --------------------------------------------------------------------------- #
# Immutable and read-only fields, path ids (6.1.2, 6.1.4, 6.1.5, 0 item 11)
# --------------------------------------------------------------------------- #

def test_ns_code_is_immutable_on_put(api, make_namespace):
    ns, other = make_namespace(), make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    u.nsCode = other.code
    try:
        updated = api.user_service.update(u)
        assert updated.nsCode == ns.code
    except Exception as e:  # rejecting the change with 400 is acceptable too
        assert getattr(e, "resporse_code", None) == 400, str(e)
    assert api.user_service.get(u.id).nsCode == ns.code
    assert api.user_service.get_all(eq("nsCode", other.code)).totalResults == 0


def test_read_only_fields_echoed_back_are_ignored(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    before = api.user_service.get(u.id)
    u = api.user_service.get(u.id)
    u.strongIdentification.identified = True
    u.strongIdentification.count = 7
    u.strongIdentification.personalId = "010101-123A"
    u.meta.created = "2001-01-01T00:00:00Z"
    u.meta.location = "http://evil.example/x"
    u.customerGroupInfo.studentValidNow = True
    u.id = "ffffffffffffffffffffffff"
    u.nickName = "changed"
    updated = api.user_service.update(u, before.id)
    got = api.user_service.get(before.id)
    for x in (updated, got):
        assert x.id == before.id
        assert x.nickName == "changed"
        assert x.strongIdentification.serialize() == before.strongIdentification.serialize()
        assert x.meta.created == before.meta.created
        assert x.meta.location == before.meta.location
        assert x.customerGroupInfo.studentValidNow == before.customerGroupInfo.studentValidNow
    expect_error(404, api.user_service.get, "ffffffffffffffffffffffff")


def test_path_id_beats_body_id(api, make_namespace):
    ns = make_namespace()
    a = api.user_service.create(User({"nsCode": ns.code, "nickName": "A"}))
    b = api.user_service.create(User({"nsCode": ns.code, "nickName": "B"}))
    a_username, b_username = a.username, b.username
    a.nickName = "written"
    a.username = None
    updated = api.user_service.update(a, b.id)  # body id is a.id, path is b.id
    assert updated.id == b.id
    got_b = api.user_service.get(b.id)
    assert got_b.nickName == "written" and got_b.username == b_username
    got_a = api.user_service.get(a.id)
    assert got_a.nickName == "A" and got_a.username == a_username


def test_changing_case_of_own_username_is_allowed(api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code, "username": "casey"}))
    u.username = "Casey"
    assert api.user_service.update(u).username == "Casey"
    assert api.user_service.get(u.id).username == "Casey"


# --------------------------------------------------------------------------- #
# Concurrency: uniqueness holds and nothing answers 5xx
# --------------------------------------------------------------------------- #

def _parallel(fn, n):
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(fn, i) for i in range(n)]
        return [f.result() for f in futures]


def test_concurrent_duplicate_usernames(api, make_namespace):
    from trivoreid.exceptions import TrivoreIDException
    ns = make_namespace()

    def attempt(i):
        try:
            return api.user_service.create(User({"nsCode": ns.code, "username": "racer" if i % 2 else "RACER"})).id
        except TrivoreIDException as e:
            return e.resporse_code

    results = _parallel(attempt, 10)
    created = [r for r in results if isinstance(r, str)]
    assert len(created) == 1, results
    assert sorted(r for r in results if not isinstance(r, str)) == [409] * 9, results
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 1


def test_concurrent_auto_created_group(api, make_namespace):
    ns = make_namespace()
    users = _parallel(lambda i: api.user_service.create(User({"nsCode": ns.code, "memberOf": ["crowd"]})), 8)
    groups = api.group_service.get_all(eq("nsCode", ns.code)).resources
    assert [g.name for g in groups] == ["crowd"], "one group per name, however many creates race"
    assert {tuple(u.memberOf) for u in users} == {(groups[0].id,)}
    page = api.user_service.get_all(and_(eq("nsCode", ns.code), eq("memberOf", groups[0].id)))
    assert page.totalResults == 8


def test_concurrent_generated_usernames_are_unique(api, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.CVCV)
    users = _parallel(lambda i: api.user_service.create(User({"nsCode": ns.code})), 12)
    names = [u.username.lower() for u in users]
    assert len(set(names)) == 12, names
