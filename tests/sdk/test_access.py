"""Namespace scoping, permissions and authentication of management clients
(API.md part 0 "Management clients and permissions", contract 1.5, 2.3)."""

import json

import pytest
import requests

from trivoreid.exceptions import TrivoreIDException
from trivoreid.models.groups import Group
from trivoreid.models.namespace import Namespace
from trivoreid.models.user import User

from conftest import (ALL_PERMISSIONS, RawApi, eq, expect_error, make_api, purge_namespace,
                      unique_code)


@pytest.fixture(scope="module")
def world(api, server):
    """Namespaces A and B with a user and a group each, and clients scoped to A."""
    A, B = unique_code("acca"), unique_code("accb")
    for code in (A, B):
        api.namespace_service.create(Namespace({"code": code, "name": code}))
    try:
        w = {"A": A, "B": B}
        for code, key in ((A, "a"), (B, "b")):
            w["g" + key] = api.group_service.create(Group({"name": "team", "nsCode": code}))
            w["u" + key] = api.user_service.create(User({"nsCode": code, "memberOf": ["team"]}))
        cid, secret = server.create_client(namespaces=[A], permissions=ALL_PERMISSIONS)
        w["client_a"] = (cid, secret)
        w["api_a"] = make_api(server, cid, secret)
        vid, vsecret = server.create_client(namespaces=[A], permissions=["ACCOUNT_VIEW"])
        w["viewer"] = (vid, vsecret)
        w["api_view"] = make_api(server, vid, vsecret)
        yield w
    finally:
        purge_namespace(api, A)
        purge_namespace(api, B)


# --------------------------------------------------------------------------- #
# A client limited to namespace A
# --------------------------------------------------------------------------- #

def test_scoped_client_works_inside_its_namespace(world):
    api_a = world["api_a"]
    assert api_a.user_service.get(world["ua"].id).nsCode == world["A"]
    assert api_a.group_service.get(world["ga"].id).nsCode == world["A"]
    assert api_a.namespace_service.get(world["A"]).code == world["A"]
    u = api_a.user_service.create(User({"nsCode": world["A"]}))
    assert u.nsCode == world["A"]
    api_a.user_service.delete(u.id)


def test_foreign_user_is_404(api, world):
    api_a, ub = world["api_a"], world["ub"]
    expect_error(404, api_a.user_service.get, ub.id)
    local = api.user_service.get(ub.id)
    local.nickName = "hijacked"
    expect_error(404, api_a.user_service.update, local)
    expect_error(404, api_a.user_service.delete, ub.id)
    still = api.user_service.get(ub.id)
    assert still.nickName is None


def test_foreign_group_is_404(api, world):
    api_a, gb = world["api_a"], world["gb"]
    expect_error(404, api_a.group_service.get, gb.id)
    local = api.group_service.get(gb.id)
    local.description = "hijacked"
    expect_error(404, api_a.group_service.update, local)
    expect_error(404, api_a.group_service.delete, gb.id)
    expect_error(404, api_a.group_service.get_nested_groups, gb.id)
    still = api.group_service.get(gb.id)
    assert still.description is None


def test_foreign_namespace_is_404(api, world):
    api_a, B = world["api_a"], world["B"]
    ns_b = api.namespace_service.get(B)
    expect_error(404, api_a.namespace_service.get, B)
    expect_error(404, api_a.namespace_service.get, ns_b.id)
    ns_b.name = "hijacked"
    expect_error(404, api_a.namespace_service.update, ns_b)
    expect_error(404, api_a.namespace_service.delete, B)
    assert api.namespace_service.get(B).name == B


def test_foreign_resources_invisible_in_lists(world):
    api_a, A = world["api_a"], world["A"]
    users = api_a.user_service.get_all(count=500)
    assert users.resources, "client A must see the users of A"
    assert {u.nsCode for u in users.resources} == {A}
    assert world["ua"].id in {u.id for u in users.resources}
    groups = api_a.group_service.get_all(count=500)
    assert {g.nsCode for g in groups.resources} == {A}
    for all_namespaces in (True, False):
        nss = api_a.namespace_service.get_all(count=500, all_namespaces=all_namespaces)
        assert [n.code for n in nss.resources] == [A], all_namespaces
        assert nss.totalResults == 1


def test_foreign_resources_invisible_through_filters(world):
    api_a, B = world["api_a"], world["B"]
    page = api_a.user_service.get_all(eq("nsCode", B))
    assert page.totalResults == 0 and page.resources == []
    page = api_a.user_service.get_all(eq("id", world["ub"].id))
    assert page.totalResults == 0 and page.resources == []
    page = api_a.user_service.get_all(eq("memberOf", world["gb"].id))
    assert page.totalResults == 0
    page = api_a.group_service.get_all(eq("nsCode", B))
    assert page.totalResults == 0 and page.resources == []
    page = api_a.namespace_service.get_all(eq("code", B))
    assert page.totalResults == 0 and page.resources == []
    page = api_a.namespace_service.get_all(eq("code", "default"))
    assert page.totalResults == 0


def test_cannot_create_into_foreign_namespace(api, world):
    api_a, B = world["api_a"], world["B"]
    expect_error(404, api_a.user_service.create, User({"nsCode": B}))
    expect_error(404, api_a.group_service.create, Group({"name": "intruders", "nsCode": B}))
    assert api.user_service.get_all(eq("nsCode", B)).totalResults == 1
    assert api.group_service.get_all(eq("nsCode", B)).totalResults == 1


def test_member_of_cannot_reach_foreign_group(api, world):
    # A foreign group id is not resolvable in A: it must not add a membership in B's group.
    u = world["api_a"].user_service.create(User({"nsCode": world["A"]}))
    try:
        u.memberOf = [world["gb"].id]
        updated = world["api_a"].user_service.update(u)
        assert world["gb"].id not in updated.memberOf
    except TrivoreIDException as e:
        assert e.resporse_code in (400, 404), str(e)
    finally:
        api.user_service.delete(u.id)
    page = api.user_service.get_all(eq("memberOf", world["gb"].id))
    assert [x.id for x in page.resources] == [world["ub"].id]


def test_scoped_client_cannot_create_namespaces(api, world):
    code = unique_code("denied")
    expect_error(403, world["api_a"].namespace_service.create, Namespace({"code": code, "name": "x"}))
    assert api.namespace_service.get_all(eq("code", code)).totalResults == 0


def test_root_client_sees_both(api, world):
    for all_namespaces in (True, False):
        codes = {n.code for n in api.namespace_service.get_all(count=500, all_namespaces=all_namespaces).resources}
        assert {world["A"], world["B"]} <= codes, all_namespaces


# --------------------------------------------------------------------------- #
# Permissions
# --------------------------------------------------------------------------- #

def test_view_only_client_can_read(world):
    page = world["api_view"].user_service.get_all()
    assert {u.nsCode for u in page.resources} == {world["A"]}
    assert world["api_view"].user_service.get(world["ua"].id).id == world["ua"].id


def test_missing_permission_is_403_naming_it(api, world):
    v = world["api_view"]
    err = expect_error(403, v.user_service.create, User({"nsCode": world["A"]}))
    assert "ACCOUNT_CREATE" in str(err)
    assert api.user_service.get_all(eq("nsCode", world["A"])).totalResults == 1

    ua = api.user_service.get(world["ua"].id)
    ua.nickName = "nope"
    err = expect_error(403, v.user_service.update, ua)
    assert "ACCOUNT_MODIFY" in str(err)
    err = expect_error(403, v.user_service.delete, world["ua"].id)
    assert "ACCOUNT_DELETE" in str(err)
    assert api.user_service.get(world["ua"].id).nickName is None

    err = expect_error(403, v.group_service.get_all)
    assert "GROUP_VIEW" in str(err)
    err = expect_error(403, v.group_service.create, Group({"name": "x", "nsCode": world["A"]}))
    assert "GROUP_CREATE" in str(err)
    err = expect_error(403, v.namespace_service.get, world["A"])
    assert "NAMESPACE_VIEW" in str(err)


def test_client_without_permission_flags_holds_all(server, api, make_namespace):
    ns = make_namespace()
    cid, secret = server.create_client(namespaces=[ns.code])
    c = make_api(server, cid, secret)
    u = c.user_service.create(User({"nsCode": ns.code}))
    g = c.group_service.create(Group({"name": "g", "nsCode": ns.code}))
    assert c.namespace_service.get(ns.code).id == ns.id
    c.user_service.delete(u.id)
    c.group_service.delete(g.id)


def test_default_namespace_used_when_request_names_none(server, api, make_namespace):
    ns = make_namespace()
    cid, secret = server.create_client(namespaces=[ns.code], default_namespace=ns.code)
    c = make_api(server, cid, secret)
    u = c.user_service.create(User({"username": unique_code("dflt")}))
    assert u.nsCode == ns.code
    assert api.user_service.get(u.id).nsCode == ns.code


# --------------------------------------------------------------------------- #
# Authentication
# --------------------------------------------------------------------------- #

def _check_401(resp, scheme="basic"):
    assert resp.status_code == 401, (resp.status_code, resp.text)
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge, f"401 without WWW-Authenticate: {dict(resp.headers)}"
    assert scheme in challenge.lower(), challenge
    body = resp.json()
    assert isinstance(body.get("errorMessage"), str) and body["errorMessage"]
    assert body.get("statusCode") == 401


def test_wrong_secret_is_401(server, world):
    cid, _ = world["client_a"]
    bad = make_api(server, cid, "wrong-secret")
    expect_error(401, bad.user_service.get_all)
    expect_error(401, bad.namespace_service.get, world["A"])
    bad_root = make_api(server, server.bootstrap_id, server.bootstrap_secret + "x")
    expect_error(401, bad_root.user_service.get, world["ua"].id)
    raw = RawApi(server.url, (cid, "wrong-secret"))
    _check_401(raw.get("user"))


def test_unknown_client_and_missing_credentials_are_401(server):
    raw = RawApi(server.url, None)
    _check_401(raw.get("user"))
    _check_401(raw.get("namespace", auth=("no-such-client", "secret")))
    _check_401(raw.get("group", headers={"Authorization": "Basic !!!not-base64"}))
    _check_401(raw.get("group", headers={"Authorization": "Bearer not-a-token"}), scheme="")


# --------------------------------------------------------------------------- #
# Admin CLI
# --------------------------------------------------------------------------- #

def test_cli_list_and_delete_client(server, run_cli, make_namespace):
    ns = make_namespace()
    cid, secret = server.create_client(name=unique_code("cli"), namespaces=[ns.code])
    c = make_api(server, cid, secret)
    assert c.namespace_service.get(ns.code).code == ns.code

    lines = [ln for ln in run_cli("client", "list").stdout.splitlines() if ln.strip()]
    objs = [json.loads(ln) for ln in lines]
    assert all(isinstance(o, dict) for o in objs)
    mine = [o for o in objs if cid in json.dumps(o)]
    assert len(mine) == 1, f"client {cid} not listed once: {lines}"
    assert secret not in "\n".join(lines), "client list must not print secrets"

    run_cli("client", "delete", cid)
    expect_error(401, c.namespace_service.get, ns.code)
    lines = run_cli("client", "list").stdout
    assert cid not in lines
