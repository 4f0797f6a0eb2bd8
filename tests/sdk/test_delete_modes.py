"""User delete modes of the namespace policy (5.14 `deleteMode`, `hideOnSoftDelete`),
set with a raw `PUT namespace/{code}` because the SDK never sends the policy."""

from trivoreid.models.user import User

from conftest import eq, expect_error, set_policy, unique_code


def _make(api, code, name):
    return api.user_service.create(User({"nsCode": code, "username": name}))


def test_hard_delete_is_the_default(api, http, make_namespace):
    ns = make_namespace()
    policy = http.get(f"namespace/{ns.code}").json()["defaultGroupPolicy"]
    assert policy.get("deleteMode") == "HARD_DELETE", policy
    name = unique_code("hd")
    u = _make(api, ns.code, name)
    api.user_service.delete(u.id)  # raises unless 204
    expect_error(404, api.user_service.get, u.id)
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 0
    again = _make(api, ns.code, name)  # the username is free again
    assert again.id != u.id and again.username == name


def test_soft_delete_hidden(api, http, make_namespace):
    ns = make_namespace()
    set_policy(http, ns.code, deleteMode="SOFT_DELETE", hideOnSoftDelete=True)
    name = unique_code("sdh")
    u = _make(api, ns.code, name)
    keep = _make(api, ns.code, unique_code("keep"))
    api.user_service.delete(u.id)
    expect_error(404, api.user_service.get, u.id)
    page = api.user_service.get_all(eq("nsCode", ns.code))
    assert [x.id for x in page.resources] == [keep.id] and page.totalResults == 1
    assert api.user_service.get_all(eq("username", name)).totalResults == 0
    assert api.user_service.get_all(eq("id", u.id)).totalResults == 0
    expect_error(404, api.user_service.delete, u.id)
    expect_error(404, api.user_service.get_custom_fields, u.id)
    # The username stays taken.
    expect_error(409, _make, api, ns.code, name)
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 1


def test_soft_delete_visible_locks(api, http, make_namespace):
    ns = make_namespace()
    set_policy(http, ns.code, deleteMode="SOFT_DELETE", hideOnSoftDelete=False)
    name = unique_code("sdv")
    u = _make(api, ns.code, name)
    assert u.locked is False
    resp = http.delete(f"user/{u.id}")
    assert resp.status_code == 204, resp.text
    got = api.user_service.get(u.id)
    assert got.locked is True
    assert got.username == name and got.nsCode == ns.code
    expect_error(409, _make, api, ns.code, name)


def test_policy_change_back_to_hard_delete(api, http, make_namespace):
    ns = make_namespace()
    set_policy(http, ns.code, deleteMode="SOFT_DELETE", hideOnSoftDelete=False)
    set_policy(http, ns.code, deleteMode="HARD_DELETE")
    u = _make(api, ns.code, unique_code("back"))
    api.user_service.delete(u.id)
    expect_error(404, api.user_service.get, u.id)
