"""Namespace service (contract 4.2 N1-N5, 5.11, 6.1.4-6.1.5, 7 items 1-2)."""

import re

from trivoreid.models.namespace import Namespace, UsernamePolicy
from trivoreid.models.user import User

from conftest import ISO_INSTANT_RE, eq, expect_error, unique_code

ID_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def test_create_namespace(api, http, make_namespace):
    ns = make_namespace(policy=UsernamePolicy.TEN_NUMBERS, name="Created", shortName="CR",
                        commMethodMaxQty=4, duplicateNicknamesAllowed=True)
    assert ns.id and ID_RE.match(ns.id), f"namespace id not URL-safe: {ns.id!r}"
    assert ns.name == "Created" and ns.shortName == "CR"
    assert ns.usernamePolicy == "TEN_NUMBERS"
    assert ns.commMethodMaxQty == 4
    assert ns.duplicateNicknamesAllowed is True
    assert isinstance(ns.validFrom, str) and ns.validFrom
    assert ISO_INSTANT_RE.match(ns.validFrom), ns.validFrom
    assert ns.meta.created and ISO_INSTANT_RE.match(ns.meta.created), ns.meta.created
    raw = http.get(f"namespace/{ns.code}").json()
    assert isinstance(raw.get("defaultGroupPolicy"), dict), raw
    assert isinstance(raw.get("smsSettings", {}), dict)


def test_create_returns_default_group_policy_with_password_rules(make_namespace):
    ns = make_namespace()
    dgp = ns.defaultGroupPolicy
    # 5.14: the server fills a default policy; U17 computes password rules from it.
    assert isinstance(dgp.minPwLength, int) and 1 <= dgp.minPwLength <= 15, dgp.serialize()


def test_create_echoes_client_valid_from_verbatim(make_namespace, api):
    ns = make_namespace(validFrom="2019-12-01T00:00:00Z", validTo="2022-10-26T09:39:42.195Z")
    assert ns.validFrom == "2019-12-01T00:00:00Z"
    assert ns.validTo == "2022-10-26T09:39:42.195Z"
    got = api.namespace_service.get(ns.code)
    assert got.validFrom == "2019-12-01T00:00:00Z"
    assert got.validTo == "2022-10-26T09:39:42.195Z"


def test_default_namespace_exists_with_manual_policy(api):
    ns = api.namespace_service.get("default")
    assert ns.code == "default"
    assert ns.usernamePolicy == "MANUAL"


def test_get_by_id_and_by_code(api, make_namespace):
    ns = make_namespace(name="ById")
    by_id = api.namespace_service.get(ns.id).serialize()
    by_code = api.namespace_service.get(ns.code).serialize()
    assert by_id["id"] == ns.id and by_code["id"] == ns.id
    assert by_id["code"] == ns.code and by_id["name"] == "ById"
    by_id.pop("meta"), by_code.pop("meta")
    assert by_id == by_code


def test_list_contains_created_namespace_in_both_modes(api, make_namespace):
    ns = make_namespace()
    for all_namespaces in (True, False):
        page = api.namespace_service.get_all(eq("code", ns.code), all_namespaces=all_namespaces)
        assert page.totalResults == 1, all_namespaces
        assert [n.id for n in page.resources] == [ns.id]
    page = api.namespace_service.get_all(count=500, all_namespaces=True)
    codes = [n.code for n in page.resources]
    assert ns.code in codes and "default" in codes
    assert page.totalResults >= 2


def test_filter_by_code(api, make_namespace):
    a = make_namespace()
    make_namespace()
    page = api.namespace_service.get_all(eq("code", a.code))
    assert page.totalResults == 1
    assert page.resources[0].code == a.code
    assert api.namespace_service.get_all(eq("code", unique_code("absent"))).totalResults == 0


def test_list_item_serialises_like_get(api, make_namespace):
    # 7 item 1: create with EMAIL policy, list(code eq) and get serialise identically.
    ns = make_namespace(policy=UsernamePolicy.EMAIL)
    listed = api.namespace_service.get_all(eq("code", ns.code)).resources[0].serialize()
    got = api.namespace_service.get(ns.code).serialize()
    listed.pop("meta"), got.pop("meta")
    assert listed == got
    assert got["usernamePolicy"] == "EMAIL"


def test_update_round_trip(api, make_namespace):
    # 7 item 2.
    ns = make_namespace(policy=UsernamePolicy.EMAIL, name="Round", shortName="RT")
    policy_before = api.namespace_service.get(ns.id).defaultGroupPolicy.serialize()
    ns.usernamePolicy = UsernamePolicy.CVCV
    ns.commMethodMaxQty = 3
    ns.duplicateNicknamesAllowed = True
    ns.validTo = "2022-10-26T09:39:42.195Z"
    updated = api.namespace_service.update(ns)
    assert updated.id == ns.id
    got = api.namespace_service.get(ns.code)
    assert got.usernamePolicy == "CVCV"
    assert got.commMethodMaxQty == 3
    assert got.duplicateNicknamesAllowed is True
    assert got.validTo == "2022-10-26T09:39:42.195Z"
    assert got.name == "Round" and got.shortName == "RT"
    assert got.validFrom and got.validFrom == ns.validFrom
    # N3: the SDK never sends defaultGroupPolicy; the stored one stays.
    assert got.defaultGroupPolicy.serialize() == policy_before


def test_update_by_code_with_null_id_and_null_valid_from(api, make_namespace):
    ns = make_namespace(name="Before")
    local = Namespace({"code": ns.code, "name": "After", "shortName": "AF",
                       "usernamePolicy": UsernamePolicy.NINE_NUMBERS})
    assert local.id is None and local.validFrom is None
    updated = api.namespace_service.update(local)  # PUT namespace/{code}, body id null
    assert updated.id == ns.id
    got = api.namespace_service.get(ns.id)
    assert got.name == "After" and got.shortName == "AF"
    assert got.usernamePolicy == "NINE_NUMBERS"
    assert got.code == ns.code
    assert got.validFrom == ns.validFrom, "a null validFrom must keep the stored value (6.1.5)"


def test_update_unknown_namespace_is_404(api):
    local = Namespace({"code": unique_code("missing"), "name": "x"})
    expect_error(404, api.namespace_service.update, local)


def test_duplicate_code_is_409(api, make_namespace):
    ns = make_namespace()
    err = expect_error(409, api.namespace_service.create, Namespace({"code": ns.code, "name": "Dup"}))
    assert err.resporse_code == 409
    assert api.namespace_service.get_all(eq("code", ns.code)).totalResults == 1


def test_delete_then_404(api):
    code = unique_code("del")
    ns = api.namespace_service.create(Namespace({"code": code, "name": "Doomed"}))
    api.namespace_service.delete(code)
    expect_error(404, api.namespace_service.get, code)
    expect_error(404, api.namespace_service.get, ns.id)
    assert api.namespace_service.get_all(eq("code", code)).totalResults == 0
    expect_error(404, api.namespace_service.delete, code)


def test_delete_by_id(api):
    code = unique_code("delid")
    ns = api.namespace_service.create(Namespace({"code": code, "name": "Doomed"}))
    api.namespace_service.delete(ns.id)
    expect_error(404, api.namespace_service.get, code)


def test_delete_with_users_is_409(api, make_namespace):
    ns = make_namespace()
    user = api.user_service.create(User({"nsCode": ns.code}))
    expect_error(409, api.namespace_service.delete, ns.code)
    assert api.namespace_service.get(ns.code).id == ns.id
    assert api.user_service.get(user.id).nsCode == ns.code
    api.user_service.delete(user.id)
    api.namespace_service.delete(ns.code)
    expect_error(404, api.namespace_service.get, ns.code)


def test_path_resolves_id_before_code(api, make_namespace):
    # N3: {idOrCode} is resolved by id first, then by code.
    first = make_namespace(name="First")
    second = make_namespace(name="Second", code=first.id)
    assert second.code == first.id and second.id != first.id
    assert api.namespace_service.get(first.id).name == "First"
    assert api.namespace_service.get(second.id).name == "Second"
    assert api.namespace_service.get_all(eq("code", first.id)).resources[0].id == second.id


def test_null_name_on_put_keeps_name(api, make_namespace):
    # 6.1.5: name, validFrom and code keep the stored value when null is sent.
    ns = make_namespace(name="Keep me")
    local = Namespace({"code": ns.code, "commMethodMaxQty": 5})
    assert local.name is None
    api.namespace_service.update(local)
    got = api.namespace_service.get(ns.id)
    assert got.name == "Keep me"
    assert got.commMethodMaxQty == 5
    assert got.validFrom == ns.validFrom
