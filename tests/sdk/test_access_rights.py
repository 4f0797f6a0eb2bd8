"""Permissions and roles: the catalogue (`GET permission`, `GET role/builtin`),
custom roles (`role/custom`, appendix A access_right_service) and the per-user
permission and role endpoints (contract 4.1 U23-U26, 5.28, section 7 item 13)."""

import pytest

from trivoreid.models.groups import Group
from trivoreid.models.user import User

from conftest import (ALL_PERMISSIONS, EVERY_PERMISSION, RawApi, and_, eq, expect_error,
                      find_nulls, make_api, unique_code)

BUILTIN_ROLE_IDS = {"ADMINISTRATOR", "USER_MANAGER", "GROUP_MANAGER", "VIEWER"}
NO_SUCH_ID = "000000000000000000000000"


def _json(resp, status=200):
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text[:400]}"
    return resp.json()


def _error(resp, status):
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: expected {status}, " \
                                       f"got {resp.status_code} {resp.text[:400]}"
    body = resp.json()
    assert isinstance(body.get("errorMessage"), str) and body["errorMessage"], body
    return body


@pytest.fixture(scope="module")
def catalogue(http):
    return {p["id"]: p for p in _json(http.get("permission"))}


@pytest.fixture(scope="module")
def builtin_roles(http):
    return {r["id"]: r for r in _json(http.get("role/builtin"))}


def closure(perms, catalogue):
    """perms with every dependency, transitively."""
    out, todo = set(), list(perms)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.add(p)
        todo.extend(catalogue[p].get("dependencies", []))
    return out


def new_role(http, ns, name=None, permissions=("ACCOUNT_VIEW",), member_of=()):
    body = {"name": name or unique_code("role"), "nsCode": ns, "permissions": list(permissions),
            "memberOf": list(member_of)}
    return _json(http.post("role/custom", json=body), 201)


# --------------------------------------------------------------------------- #
# Permission catalogue
# --------------------------------------------------------------------------- #

def test_permission_catalogue_shape(http):
    resp = http.get("permission")
    body = _json(resp)
    assert isinstance(body, list), "GET permission answers a bare JSON array"
    assert not find_nulls(body), find_nulls(body)
    ids = [p["id"] for p in body]
    assert len(ids) == len(set(ids)), "permission ids repeat"
    for p in body:
        assert set(p) <= {"id", "name", "dependencies", "groupId"}, p
        assert isinstance(p["id"], str) and p["id"]
        assert isinstance(p.get("name"), str) and p["name"], p
        assert isinstance(p.get("groupId"), str) and p["groupId"], p
        assert isinstance(p.get("dependencies", []), list), p
        for d in p.get("dependencies", []):
            assert d in ids, f"{p['id']} depends on {d}, which is not in the catalogue"
            assert d != p["id"]


def test_permission_catalogue_holds_every_known_id(catalogue):
    missing = set(EVERY_PERMISSION) - set(catalogue)
    assert not missing, f"catalogue lacks {sorted(missing)}"


def test_permission_dependencies(catalogue):
    assert "ACCOUNT_VIEW" in catalogue["ACCOUNT_MODIFY"].get("dependencies", [])
    assert "ACCOUNT_VIEW" in catalogue["ACCOUNT_VIEW_PERSONAL_ID"].get("dependencies", [])
    assert "ACCESS_RIGHT_VIEW" in catalogue["ACCESS_RIGHT_MODIFY"].get("dependencies", [])
    assert "GROUP_VIEW" in catalogue["GROUP_MODIFY"].get("dependencies", [])
    assert not catalogue["ACCOUNT_VIEW"].get("dependencies"), "ACCOUNT_VIEW needs nothing"


def test_permission_by_id(http, catalogue):
    for pid in ("ACCOUNT_VIEW", "ACCOUNT_MODIFY", "ACCESS_RIGHT_MODIFY"):
        assert _json(http.get(f"permission/{pid}")) == catalogue[pid]


def test_unknown_permission_is_404(http):
    _error(http.get("permission/NO_SUCH_PERMISSION"), 404)


# --------------------------------------------------------------------------- #
# Built-in roles
# --------------------------------------------------------------------------- #

def test_builtin_roles_shape(http, catalogue):
    body = _json(http.get("role/builtin"))
    assert isinstance(body, list), "GET role/builtin answers a bare JSON array"
    assert not find_nulls(body), find_nulls(body)
    ids = {r["id"] for r in body}
    assert BUILTIN_ROLE_IDS <= ids, ids
    for r in body:
        assert set(r) <= {"id", "name", "permissions"}, r
        assert isinstance(r.get("name"), str) and r["name"], r
        perms = r.get("permissions", [])
        assert isinstance(perms, list) and all(isinstance(p, str) for p in perms), r
        unknown = set(perms) - set(catalogue)
        assert not unknown, f"role {r['id']} grants unknown permissions {unknown}"


def test_administrator_has_every_permission(builtin_roles, catalogue):
    assert set(builtin_roles["ADMINISTRATOR"]["permissions"]) == set(catalogue)


def test_other_builtin_roles_are_narrower(builtin_roles, catalogue):
    for rid in ("USER_MANAGER", "GROUP_MANAGER", "VIEWER"):
        perms = set(builtin_roles[rid].get("permissions", []))
        assert perms, f"{rid} grants nothing"
        assert perms != set(catalogue), f"{rid} grants everything"


# --------------------------------------------------------------------------- #
# Custom roles
# --------------------------------------------------------------------------- #

def test_custom_role_create_get_list(http, make_namespace):
    ns = make_namespace()
    resp = http.post("role/custom", json={"name": "auditors", "nsCode": ns.code,
                                          "permissions": ["ACCOUNT_VIEW", "GROUP_VIEW"], "memberOf": []})
    role = _json(resp, 201)
    assert role.get("id") and isinstance(role["id"], str)
    assert role["name"] == "auditors" and role["nsCode"] == ns.code
    assert set(role["permissions"]) == {"ACCOUNT_VIEW", "GROUP_VIEW"}
    assert role.get("memberOf", []) == []
    assert isinstance(role.get("meta"), dict) and role["meta"].get("created"), role
    assert not find_nulls(role), find_nulls(role)

    got = _json(http.get(f"role/custom/{role['id']}"))
    assert got["id"] == role["id"] and got["name"] == "auditors" and got["nsCode"] == ns.code
    assert set(got["permissions"]) == {"ACCOUNT_VIEW", "GROUP_VIEW"}

    page = _json(http.get("role/custom", params={"filter": f'nsCode eq "{ns.code}"'}))
    assert set(page) >= {"resources", "totalResults"}
    assert page["totalResults"] == 1
    assert [r["id"] for r in page["resources"]] == [role["id"]]
    by_name = _json(http.get("role/custom", params={
        "filter": f'(nsCode eq "{ns.code}")  and  (name eq "auditors")'}))
    assert [r["id"] for r in by_name["resources"]] == [role["id"]]
    by_id = _json(http.get("role/custom", params={"filter": f'id eq "{role["id"]}"'}))
    assert by_id["totalResults"] == 1 and by_id["resources"][0]["id"] == role["id"]
    none = _json(http.get("role/custom", params={"filter": f'name eq "{unique_code("nope")}"'}))
    assert none["totalResults"] == 0 and none["resources"] == []


def test_custom_role_list_pages(http, make_namespace):
    ns = make_namespace()
    ids = {new_role(http, ns.code)["id"] for _ in range(3)}
    f = f'nsCode eq "{ns.code}"'
    p0 = _json(http.get("role/custom", params={"filter": f, "startIndex": 0, "count": 2}))
    p1 = _json(http.get("role/custom", params={"filter": f, "startIndex": 2, "count": 2}))
    assert p0["totalResults"] == 3 and p1["totalResults"] == 3
    assert len(p0["resources"]) == 2 and len(p1["resources"]) == 1
    assert {r["id"] for r in p0["resources"] + p1["resources"]} == ids


def test_custom_role_update_and_delete(http, make_namespace):
    ns = make_namespace()
    role = new_role(http, ns.code, name="editors")
    changed = dict(role, name="editors-2", permissions=["ACCOUNT_MODIFY"])
    changed.pop("meta", None)
    updated = _json(http.put(f"role/custom/{role['id']}", json=changed))
    assert updated["id"] == role["id"] and updated["name"] == "editors-2"
    assert updated["permissions"] == ["ACCOUNT_MODIFY"]
    got = _json(http.get(f"role/custom/{role['id']}"))
    assert got["name"] == "editors-2" and got["permissions"] == ["ACCOUNT_MODIFY"]
    assert got["nsCode"] == ns.code

    resp = http.delete(f"role/custom/{role['id']}")
    assert resp.status_code == 204, resp.text
    _error(http.get(f"role/custom/{role['id']}"), 404)
    _error(http.delete(f"role/custom/{role['id']}"), 404)
    _error(http.put(f"role/custom/{role['id']}", json=changed), 404)


def test_custom_role_name_unique_per_namespace(http, make_namespace):
    ns, other = make_namespace(), make_namespace()
    new_role(http, ns.code, name="dup")
    _error(http.post("role/custom", json={"name": "dup", "nsCode": ns.code, "permissions": ["GROUP_VIEW"]}), 409)
    page = _json(http.get("role/custom", params={"filter": f'nsCode eq "{ns.code}"'}))
    assert page["totalResults"] == 1
    assert new_role(http, other.code, name="dup")["nsCode"] == other.code  # another namespace: fine
    # Renaming onto a taken name is a duplicate too.
    second = new_role(http, ns.code, name="second")
    body = {"name": "dup", "nsCode": ns.code, "permissions": second["permissions"]}
    _error(http.put(f"role/custom/{second['id']}", json=body), 409)
    assert _json(http.get(f"role/custom/{second['id']}"))["name"] == "second"


def test_custom_role_unknown_permission_is_400(http, make_namespace):
    ns = make_namespace()
    _error(http.post("role/custom", json={"name": "bad", "nsCode": ns.code,
                                          "permissions": ["ACCOUNT_VIEW", "NO_SUCH_PERMISSION"]}), 400)
    page = _json(http.get("role/custom", params={"filter": f'nsCode eq "{ns.code}"'}))
    assert page["totalResults"] == 0, "a rejected role must not be stored"
    role = new_role(http, ns.code)
    _error(http.put(f"role/custom/{role['id']}", json={"name": role["name"], "nsCode": ns.code,
                                                        "permissions": ["NOPE"]}), 400)
    assert _json(http.get(f"role/custom/{role['id']}"))["permissions"] == ["ACCOUNT_VIEW"]


def test_custom_role_member_of_groups(http, api, make_namespace):
    ns = make_namespace()
    g = api.group_service.create(Group({"name": "readers", "nsCode": ns.code}))
    role = new_role(http, ns.code, member_of=[g.id])
    assert role["memberOf"] == [g.id]
    assert _json(http.get(f"role/custom/{role['id']}"))["memberOf"] == [g.id]


def test_unknown_custom_role_is_404(http):
    _error(http.get(f"role/custom/{NO_SUCH_ID}"), 404)


# --------------------------------------------------------------------------- #
# Per-user custom permissions (U23) and effective permissions (U24)
# --------------------------------------------------------------------------- #

@pytest.fixture
def user(api, make_namespace):
    ns = make_namespace()
    return api.user_service.create(User({"nsCode": ns.code}))


def test_custom_permissions_start_empty(api, http, user):
    assert api.user_service.get_custom_permissions(user.id) == []
    assert api.user_service.get_builtin_roles(user.id) == []
    assert api.user_service.get_custom_roles(user.id) == []
    assert api.user_service.get_effective_permissions(user.id) == []
    for path in ("permissions/custom", "permissions/effective", "roles/builtin", "roles/custom"):
        assert _json(http.get(f"user/{user.id}/{path}")) == [], path


def test_custom_permissions_add_and_remove(api, user):
    us = api.user_service
    result = us.update_custom_permissions(user.id, add=["GROUP_VIEW", "NAMESPACE_VIEW"])
    assert isinstance(result, list) and all(isinstance(p, str) for p in result)
    assert sorted(result) == ["GROUP_VIEW", "NAMESPACE_VIEW"]
    assert sorted(us.get_custom_permissions(user.id)) == ["GROUP_VIEW", "NAMESPACE_VIEW"]
    # Adding again does not duplicate.
    assert sorted(us.update_custom_permissions(user.id, add=["GROUP_VIEW"])) == ["GROUP_VIEW", "NAMESPACE_VIEW"]
    # Remove only: the body carries "add": null.
    assert us.update_custom_permissions(user.id, remove=["GROUP_VIEW"]) == ["NAMESPACE_VIEW"]
    # Both null: nothing changes.
    assert us.update_custom_permissions(user.id) == ["NAMESPACE_VIEW"]
    # Add then remove in one call: add is applied first.
    assert us.update_custom_permissions(user.id, add=["GROUP_VIEW"], remove=["GROUP_VIEW", "NAMESPACE_VIEW"]) == []
    assert us.get_custom_permissions(user.id) == []


def test_custom_permissions_unknown_id_is_400_and_changes_nothing(api, user):
    us = api.user_service
    us.update_custom_permissions(user.id, add=["GROUP_VIEW"])
    expect_error(400, us.update_custom_permissions, user.id, add=["ACCOUNT_VIEW", "NO_SUCH_PERMISSION"])
    assert us.get_custom_permissions(user.id) == ["GROUP_VIEW"]
    expect_error(400, us.update_custom_permissions, user.id, remove=["NO_SUCH_PERMISSION"])
    assert us.get_custom_permissions(user.id) == ["GROUP_VIEW"]


def test_user_permission_endpoints_unknown_user_is_404(api):
    us = api.user_service
    for fn in (us.get_custom_permissions, us.get_effective_permissions, us.get_builtin_roles,
               us.get_custom_roles):
        expect_error(404, fn, NO_SUCH_ID)
    expect_error(404, us.update_custom_permissions, NO_SUCH_ID, add=["ACCOUNT_VIEW"])
    expect_error(404, us.update_builtin_roles, NO_SUCH_ID, add=["VIEWER"])
    expect_error(404, us.update_custom_roles, NO_SUCH_ID, add=[NO_SUCH_ID])


def test_effective_permissions_include_dependencies(api, user, catalogue):
    us = api.user_service
    us.update_custom_permissions(user.id, add=["ACCOUNT_MODIFY"])
    eff = us.get_effective_permissions(user.id)
    assert isinstance(eff, list) and all(isinstance(p, str) for p in eff)
    assert len(eff) == len(set(eff)), f"effective permissions repeat: {eff}"
    assert set(eff) == closure(["ACCOUNT_MODIFY"], catalogue)
    assert "ACCOUNT_VIEW" in eff
    assert us.get_custom_permissions(user.id) == ["ACCOUNT_MODIFY"], "dependencies are not custom permissions"


# --------------------------------------------------------------------------- #
# Built-in roles of a user (U25)
# --------------------------------------------------------------------------- #

def test_builtin_roles_add_remove(api, user, builtin_roles, catalogue):
    us = api.user_service
    assert us.update_builtin_roles(user.id, add=["VIEWER"]) == ["VIEWER"]
    assert us.get_builtin_roles(user.id) == ["VIEWER"]
    assert set(us.get_effective_permissions(user.id)) == closure(builtin_roles["VIEWER"]["permissions"], catalogue)
    assert sorted(us.update_builtin_roles(user.id, add=["GROUP_MANAGER"])) == ["GROUP_MANAGER", "VIEWER"]
    assert us.update_builtin_roles(user.id, remove=["VIEWER"]) == ["GROUP_MANAGER"]
    assert us.update_builtin_roles(user.id, remove=["GROUP_MANAGER"]) == []
    assert us.get_effective_permissions(user.id) == []


def test_administrator_role_grants_everything(api, user, catalogue):
    api.user_service.update_builtin_roles(user.id, add=["ADMINISTRATOR"])
    assert set(api.user_service.get_effective_permissions(user.id)) == set(catalogue)


def test_builtin_roles_unknown_id_is_400_and_changes_nothing(api, user):
    us = api.user_service
    us.update_builtin_roles(user.id, add=["VIEWER"])
    expect_error(400, us.update_builtin_roles, user.id, add=["USER_MANAGER", "NO_SUCH_ROLE"])
    assert us.get_builtin_roles(user.id) == ["VIEWER"]
    expect_error(400, us.update_builtin_roles, user.id, remove=["NO_SUCH_ROLE"])
    assert us.get_builtin_roles(user.id) == ["VIEWER"]


def test_effective_permissions_union(api, http, make_namespace, builtin_roles, catalogue):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    role = new_role(http, ns.code, permissions=["NAMESPACE_MODIFY"])
    api.user_service.update_custom_permissions(u.id, add=["GROUP_DELETE"])
    api.user_service.update_builtin_roles(u.id, add=["VIEWER"])
    api.user_service.update_custom_roles(u.id, add=[role["id"]])
    want = closure(["GROUP_DELETE", "NAMESPACE_MODIFY"] + builtin_roles["VIEWER"]["permissions"], catalogue)
    assert set(api.user_service.get_effective_permissions(u.id)) == want


# --------------------------------------------------------------------------- #
# Custom roles of a user (U26), directly and through groups
# --------------------------------------------------------------------------- #

def test_custom_roles_add_remove(api, http, make_namespace, catalogue):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    r1 = new_role(http, ns.code, permissions=["ACCOUNT_CREATE"])
    r2 = new_role(http, ns.code, permissions=["GROUP_VIEW"])
    us = api.user_service
    assert us.update_custom_roles(u.id, add=[r1["id"]]) == [r1["id"]]
    assert us.get_custom_roles(u.id) == [r1["id"]]
    assert set(us.get_effective_permissions(u.id)) == closure(["ACCOUNT_CREATE"], catalogue)
    assert sorted(us.update_custom_roles(u.id, add=[r2["id"]])) == sorted([r1["id"], r2["id"]])
    assert us.update_custom_roles(u.id, remove=[r1["id"]]) == [r2["id"]]
    assert set(us.get_effective_permissions(u.id)) == {"GROUP_VIEW"}
    assert us.update_custom_roles(u.id, remove=[r2["id"]]) == []
    assert us.get_effective_permissions(u.id) == []


def test_custom_roles_unknown_id_is_400_and_changes_nothing(api, http, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    r = new_role(http, ns.code)
    api.user_service.update_custom_roles(u.id, add=[r["id"]])
    expect_error(400, api.user_service.update_custom_roles, u.id, add=[NO_SUCH_ID])
    expect_error(400, api.user_service.update_custom_roles, u.id, remove=[r["id"], NO_SUCH_ID])
    assert api.user_service.get_custom_roles(u.id) == [r["id"]]


def test_role_permission_change_reaches_effective_permissions(api, http, make_namespace, catalogue):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    role = new_role(http, ns.code, permissions=["GROUP_VIEW"])
    api.user_service.update_custom_roles(u.id, add=[role["id"]])
    assert api.user_service.get_effective_permissions(u.id) == ["GROUP_VIEW"]
    _json(http.put(f"role/custom/{role['id']}", json={"name": role["name"], "nsCode": ns.code,
                                                       "permissions": ["ACCOUNT_DELETE"]}))
    assert set(api.user_service.get_effective_permissions(u.id)) == closure(["ACCOUNT_DELETE"], catalogue)


def test_custom_role_through_group_membership(api, http, make_namespace, catalogue):
    ns = make_namespace()
    g = api.group_service.create(Group({"name": "role-holders", "nsCode": ns.code}))
    role = new_role(http, ns.code, permissions=["GROUP_MODIFY"], member_of=[g.id])
    inside = api.user_service.create(User({"nsCode": ns.code, "memberOf": [g.id]}))
    outside = api.user_service.create(User({"nsCode": ns.code}))
    assert set(api.user_service.get_effective_permissions(inside.id)) == closure(["GROUP_MODIFY"], catalogue)
    assert api.user_service.get_effective_permissions(outside.id) == []
    # Joining the group grants the role, leaving it takes it away.
    outside.memberOf = [g.id]
    api.user_service.update(outside)
    assert "GROUP_MODIFY" in api.user_service.get_effective_permissions(outside.id)
    inside = api.user_service.get(inside.id)
    inside.memberOf = []
    api.user_service.update(inside)
    assert api.user_service.get_effective_permissions(inside.id) == []
    # Dropping the group from the role's memberOf takes it away from members too.
    _json(http.put(f"role/custom/{role['id']}", json={"name": role["name"], "nsCode": ns.code,
                                                       "permissions": ["GROUP_MODIFY"], "memberOf": []}))
    assert api.user_service.get_effective_permissions(outside.id) == []


# --------------------------------------------------------------------------- #
# Who may see and change access rights
# --------------------------------------------------------------------------- #

def test_access_right_endpoints_need_access_right_permissions(server, api, make_namespace):
    ns = make_namespace()
    u = api.user_service.create(User({"nsCode": ns.code}))
    cid, secret = server.create_client(namespaces=[ns.code], permissions=ALL_PERMISSIONS)
    raw = RawApi(server.url, (cid, secret))
    limited = make_api(server, cid, secret)
    body = _error(raw.post("role/custom", json={"name": "x", "nsCode": ns.code, "permissions": []}), 403)
    assert "ACCESS_RIGHT_MODIFY" in body["errorMessage"], body
    err = expect_error(403, limited.user_service.update_custom_permissions, u.id, add=["ACCOUNT_VIEW"])
    assert "ACCESS_RIGHT_MODIFY" in str(err)
    expect_error(403, limited.user_service.update_builtin_roles, u.id, add=["ADMINISTRATOR"])
    assert api.user_service.get_custom_permissions(u.id) == []
    assert api.user_service.get_builtin_roles(u.id) == []
    err = expect_error(403, limited.user_service.get_custom_permissions, u.id)
    assert "ACCESS_RIGHT_VIEW" in str(err)


def test_scoped_client_sees_only_its_namespace_roles(server, http, make_namespace):
    a, b = make_namespace(), make_namespace()
    ra, rb = new_role(http, a.code), new_role(http, b.code)
    cid, secret = server.create_client(namespaces=[a.code], permissions=EVERY_PERMISSION)
    raw = RawApi(server.url, (cid, secret))
    listed = _json(raw.get("role/custom", params={"count": 500}))
    ids = {r["id"] for r in listed["resources"]}
    assert ra["id"] in ids and rb["id"] not in ids
    assert {r["nsCode"] for r in listed["resources"]} == {a.code}
    _error(raw.get(f"role/custom/{rb['id']}"), 404)
    _error(raw.delete(f"role/custom/{rb['id']}"), 404)
    _error(raw.post("role/custom", json={"name": "x", "nsCode": b.code, "permissions": []}), 404)
    assert _json(http.get(f"role/custom/{rb['id']}"))["id"] == rb["id"]
