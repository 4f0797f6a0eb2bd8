"""Namespace migration (contract 4.1 U27, 5.27, section 8 step 30)."""

import json
import re

import pytest

from trivoreid.models.groups import Group
from trivoreid.models.namespace import UsernamePolicy
from trivoreid.models.user import NamespaceMigrationOptions, User

from conftest import and_, eq, expect_error, remember_secret, set_policy, unique_code

NO_SUCH_ID = "000000000000000000000000"


@pytest.fixture
def src(make_namespace):
    return make_namespace(policy=UsernamePolicy.TEN_LOWER_CASE_CHARS)


@pytest.fixture
def dst(make_namespace):
    return make_namespace(policy=UsernamePolicy.EIGHT_NUMBERS)


def opts(target, **kw):
    data = {"targetNsCode": target}
    data.update(kw)
    return NamespaceMigrationOptions(data)


@pytest.fixture
def rich(api, src):
    """A user with everything that migration may or may not carry."""
    api.group_service.create(Group({"name": "staff", "nsCode": src.code}))
    u = api.user_service.create(User({
        "nsCode": src.code,
        "memberOf": ["staff", "volunteers"],
        "emails": [{"address": "mig@example.com", "verified": True}],
        "mobiles": [{"number": "+358401234599"}],
        "addresses": [{"name": "home", "country": "FI", "locality": "Turku"}],
        "name": {"givenName": "Mia", "familyName": "Grant"},
        "consents": {"marketingEmail": True},
        "dateOfBirth": "1990-05-05",
    }), password=remember_secret("Rtz-Pw-8vKq-3zT"))
    api.user_service.update_custom_fields(u.id, {"shoeSize": 41})
    return u


def ids_in(api, code):
    return {u.id for u in api.user_service.get_all(eq("nsCode", code), count=500).resources}


def groups_in(api, code):
    return {g.name: g.id for g in api.group_service.get_all(eq("nsCode", code), count=500).resources}


def test_migrate_keeps_id_and_moves(api, src, dst, rich):
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code))
    assert moved.id == rich.id
    assert moved.nsCode == dst.code
    got = api.user_service.get(rich.id)
    assert got.nsCode == dst.code
    assert rich.id not in ids_in(api, src.code)
    assert rich.id in ids_in(api, dst.code)


def test_defaults_keep_profile_contacts_consents_fields(api, src, dst, rich):
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code))
    for u in (moved, api.user_service.get(rich.id)):
        assert [e.address for e in u.emails] == ["mig@example.com"]
        assert u.emails[0].verified is True, "keepEmails keeps the verification status"
        assert [m.number for m in u.mobiles] == ["+358401234599"]
        assert u.name.givenName == "Mia" and u.name.familyName == "Grant"
        assert [a.locality for a in u.addresses] == ["Turku"]
        assert u.dateOfBirth == "1990-05-05"
        assert u.consents.marketingEmail is True
    assert json.loads(api.user_service.get_custom_fields(rich.id)) == {"shoeSize": 41}


def test_default_drops_groups(api, src, dst, rich):
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code))
    assert moved.memberOf == []
    assert api.user_service.get(rich.id).memberOf == []
    assert groups_in(api, dst.code) == {}


def test_keep_groups_recreates_membership_by_name(api, src, dst, rich):
    existing = api.group_service.create(Group({"name": "staff", "nsCode": dst.code}))
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code, keepGroups=True))
    target_groups = groups_in(api, dst.code)
    assert set(target_groups) == {"staff", "volunteers"}, target_groups
    assert target_groups["staff"] == existing.id, "an existing group of that name is reused"
    assert sorted(moved.memberOf) == sorted(target_groups.values())
    got = api.user_service.get(rich.id)
    assert sorted(got.memberOf) == sorted(target_groups.values())
    for gid in got.memberOf:
        assert api.group_service.get(gid).nsCode == dst.code
    # The source groups stay where they were, now without the user.
    assert set(groups_in(api, src.code)) == {"staff", "volunteers"}
    page = api.user_service.get_all(eq("memberOf", groups_in(api, src.code)["staff"]))
    assert page.totalResults == 0


def test_keep_emails_false(api, src, dst, rich):
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code, keepEmails=False))
    assert moved.emails == []
    got = api.user_service.get(rich.id)
    assert got.emails == []
    assert [m.number for m in got.mobiles] == ["+358401234599"]


def test_keep_mobiles_false(api, src, dst, rich):
    api.user_service.migrate_namespace(rich.id, opts(dst.code, keepMobiles=False))
    got = api.user_service.get(rich.id)
    assert got.mobiles == []
    assert [e.address for e in got.emails] == ["mig@example.com"]


def test_keep_profile_false(api, src, dst, rich):
    api.user_service.migrate_namespace(rich.id, opts(dst.code, keepProfile=False))
    got = api.user_service.get(rich.id)
    assert got.name.givenName is None and got.name.familyName is None
    assert got.addresses == []
    assert got.dateOfBirth is None
    assert [e.address for e in got.emails] == ["mig@example.com"]


def test_keep_consents_false(api, src, dst, rich):
    api.user_service.migrate_namespace(rich.id, opts(dst.code, keepConsents=False))
    assert api.user_service.get(rich.id).consents.marketingEmail is False


def test_keep_custom_fields_false(api, src, dst, rich):
    api.user_service.migrate_namespace(rich.id, opts(dst.code, keepCustomFields=False))
    assert json.loads(api.user_service.get_custom_fields(rich.id)) == {}


def test_new_id(api, src, dst, rich):
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code, keepUserId=False))
    assert moved.id and moved.id != rich.id
    assert moved.nsCode == dst.code
    expect_error(404, api.user_service.get, rich.id)
    got = api.user_service.get(moved.id)
    assert got.nsCode == dst.code and got.name.givenName == "Mia"
    assert json.loads(api.user_service.get_custom_fields(moved.id)) == {"shoeSize": 41}
    assert ids_in(api, dst.code) == {moved.id}
    assert rich.id not in ids_in(api, src.code)


def test_username_generated_from_target_policy(api, src, dst, rich):
    assert re.fullmatch(r"[a-z]{10}", rich.username or ""), rich.username
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code))
    assert re.fullmatch(r"\d{8}", moved.username or ""), moved.username


def test_username_given(api, src, dst, rich):
    name = unique_code("mig")
    moved = api.user_service.migrate_namespace(rich.id, opts(dst.code, username=name))
    assert moved.username == name
    assert api.user_service.get(rich.id).username == name


def test_username_taken_in_target_is_409(api, src, dst, rich):
    taken = unique_code("taken")
    api.user_service.create(User({"nsCode": dst.code, "username": taken}))
    before = api.user_service.get(rich.id).serialize()
    expect_error(409, api.user_service.migrate_namespace, rich.id, opts(dst.code, username=taken))
    after = api.user_service.get(rich.id).serialize()
    before.pop("meta"), after.pop("meta")
    assert after == before, "a failed migration must leave the user unchanged"
    assert after["nsCode"] == src.code
    assert rich.id in ids_in(api, src.code)
    assert json.loads(api.user_service.get_custom_fields(rich.id)) == {"shoeSize": 41}


def test_user_password_checked_against_target_policy(api, http, src, dst, rich):
    set_policy(http, dst.code, minPwLength=14)
    before = api.user_service.get(rich.id)
    # 12 characters: fine in the source namespace (8), too short in the target (14).
    assert api.user_service.change_password(rich.id, remember_secret("Src-Ok-7qZx4")).success is True
    expect_error(400, api.user_service.migrate_namespace, rich.id,
                 opts(dst.code, userPassword="Tgt-No-7qZx4"))
    got = api.user_service.get(rich.id)
    assert got.nsCode == src.code and got.username == before.username
    expect_error(400, api.user_service.migrate_namespace, rich.id, opts(dst.code, userPassword="password"))
    assert api.user_service.get(rich.id).nsCode == src.code
    moved = api.user_service.migrate_namespace(
        rich.id, opts(dst.code, userPassword=remember_secret("Tgt-Long-Ok-7qZx4")))
    assert moved.nsCode == dst.code
    assert api.user_service.get_password_requirements(rich.id).minLength == 14


def test_unknown_or_same_target_is_400(api, src, rich):
    expect_error(400, api.user_service.migrate_namespace, rich.id, opts(unique_code("nowhere")))
    expect_error(400, api.user_service.migrate_namespace, rich.id, opts(src.code))
    expect_error(400, api.user_service.migrate_namespace, rich.id, opts(None))
    assert api.user_service.get(rich.id).nsCode == src.code


def test_unknown_user_is_404(api, dst):
    expect_error(404, api.user_service.migrate_namespace, NO_SUCH_ID, opts(dst.code))


def test_migration_answers_200_with_raw_body(http, api, src, dst):
    u = api.user_service.create(User({"nsCode": src.code}))
    body = {"targetNsCode": dst.code, "keepUserId": True, "keepProfile": True, "keepEmails": True,
            "keepMobiles": True, "keepConsents": True, "keepCustomFields": True, "keepPassword": True,
            "keepGroups": False, "username": None, "userPassword": None}
    resp = http.post(f"user/{u.id}/migratenamespace", json=body)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["id"] == u.id and out["nsCode"] == dst.code
    assert "password" not in out

