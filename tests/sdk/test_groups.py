"""Group service (contract 4.3 G1-G6, 5.24, 7 item 12)."""

from trivoreid.models.groups import Group
from trivoreid.models.user import User

from conftest import ISO_INSTANT_RE, and_, eq, expect_error, unique_code


def test_create_and_get(api, make_namespace):
    ns = make_namespace()
    g = api.group_service.create(Group({"name": "admins", "nsCode": ns.code, "description": "Admins",
                                        "disallowContacts": True}))
    assert g.id
    assert g.name == "admins" and g.nsCode == ns.code and g.description == "Admins"
    assert g.disallowContacts is True
    assert g.memberOf == []
    assert g.meta.created and ISO_INSTANT_RE.match(g.meta.created), g.meta.created
    got = api.group_service.get(g.id)
    assert got.serialize() == g.serialize()


def test_get_unknown_group_is_404(api):
    expect_error(404, api.group_service.get, "000000000000000000000000")
    expect_error(404, api.group_service.delete, "000000000000000000000000")


def test_update_with_locally_built_group(api, make_namespace):
    # 7 item 12: update a locally built Group (body id null) via update(g, g.id).
    ns = make_namespace()
    local = Group({"name": "gr003", "nsCode": ns.code, "description": "Third group"})
    created = api.group_service.create(local)
    assert local.id is None
    local.name = "gr004"
    updated = api.group_service.update(local, created.id)
    assert updated.id == created.id
    assert updated.name == "gr004"
    got = api.group_service.get(created.id)
    assert got.id == created.id
    assert got.name == "gr004"
    assert got.description == "Third group"
    assert got.nsCode == ns.code
    assert api.group_service.get_all(and_(eq("nsCode", ns.code), eq("name", "gr003"))).totalResults == 0
    assert api.group_service.get_all(and_(eq("nsCode", ns.code), eq("name", "gr004"))).totalResults == 1


def test_update_fetched_group_changes_description(api, make_namespace):
    ns = make_namespace()
    g = api.group_service.create(Group({"name": "editors", "nsCode": ns.code, "description": "old"}))
    g.description = "new"
    updated = api.group_service.update(g)
    assert updated.description == "new" and updated.name == "editors"
    assert api.group_service.get(g.id).description == "new"


def test_nested_groups_are_transitive(api, make_namespace):
    ns = make_namespace()
    root = api.group_service.create(Group({"name": "root", "nsCode": ns.code}))
    child = api.group_service.create(Group({"name": "child", "nsCode": ns.code, "memberOf": [root.id]}))
    grandchild = api.group_service.create(Group({"name": "grandchild", "nsCode": ns.code,
                                                 "memberOf": [child.id]}))
    other = api.group_service.create(Group({"name": "other", "nsCode": ns.code}))
    nested = api.group_service.get_nested_groups(root.id)
    ids = [g.id for g in nested]
    assert child.id in ids and grandchild.id in ids, ids
    assert root.id not in ids
    assert other.id not in ids
    assert len(ids) == len(set(ids)) == 2
    by_id = {g.id: g for g in nested}
    assert by_id[child.id].name == "child" and by_id[grandchild.id].name == "grandchild"
    assert [g.id for g in api.group_service.get_nested_groups(child.id)] == [grandchild.id]
    assert api.group_service.get_nested_groups(grandchild.id) == []


def test_filters(api, make_namespace):
    ns = make_namespace()
    other_ns = make_namespace()
    a = api.group_service.create(Group({"name": "alpha", "nsCode": ns.code}))
    b = api.group_service.create(Group({"name": "beta", "nsCode": ns.code}))
    api.group_service.create(Group({"name": "alpha", "nsCode": other_ns.code}))

    page = api.group_service.get_all(eq("nsCode", ns.code))
    assert page.totalResults == 2
    assert {g.id for g in page.resources} == {a.id, b.id}

    page = api.group_service.get_all(and_(eq("nsCode", ns.code), eq("name", "alpha")))
    assert page.totalResults == 1 and page.resources[0].id == a.id

    page = api.group_service.get_all(eq("id", b.id))
    assert page.totalResults == 1 and page.resources[0].name == "beta"

    page = api.group_service.get_all(eq("name", "alpha"))
    assert {g.nsCode for g in page.resources} >= {ns.code, other_ns.code}


def test_delete_removes_group_from_members(api, make_namespace):
    ns = make_namespace()
    doomed = api.group_service.create(Group({"name": "doomed", "nsCode": ns.code}))
    kept = api.group_service.create(Group({"name": "kept", "nsCode": ns.code}))
    user = api.user_service.create(User({"nsCode": ns.code, "memberOf": [doomed.id, kept.id]}))
    assert set(user.memberOf) == {doomed.id, kept.id}
    api.group_service.delete(doomed.id)
    expect_error(404, api.group_service.get, doomed.id)
    assert api.user_service.get(user.id).memberOf == [kept.id]
    page = api.user_service.get_all(and_(eq("nsCode", ns.code), eq("memberOf", doomed.id)))
    assert page.totalResults == 0


def test_duplicate_name_in_namespace_is_409(api, make_namespace):
    ns = make_namespace()
    other = make_namespace()
    api.group_service.create(Group({"name": "dup", "nsCode": ns.code}))
    expect_error(409, api.group_service.create, Group({"name": "dup", "nsCode": ns.code}))
    g = api.group_service.create(Group({"name": "dup", "nsCode": other.code}))
    assert g.nsCode == other.code
    assert api.group_service.get_all(and_(eq("nsCode", ns.code), eq("name", "dup"))).totalResults == 1


def test_rename_onto_existing_name_is_409(api, make_namespace):
    ns = make_namespace()
    api.group_service.create(Group({"name": "first", "nsCode": ns.code}))
    second = api.group_service.create(Group({"name": "second", "nsCode": ns.code}))
    second.name = "first"
    expect_error(409, api.group_service.update, second)
    assert api.group_service.get(second.id).name == "second"


def test_create_without_name_is_400(api, make_namespace):
    ns = make_namespace()
    expect_error(400, api.group_service.create, Group({"nsCode": ns.code, "description": "nameless"}))


def test_create_in_unknown_namespace_fails(api):
    expect_error((400, 404), api.group_service.create, Group({"name": "g", "nsCode": unique_code("nope")}))


def test_ns_code_is_immutable(api, make_namespace):
    ns, other = make_namespace(), make_namespace()
    g = api.group_service.create(Group({"name": "stay", "nsCode": ns.code}))
    g.nsCode = other.code
    try:
        updated = api.group_service.update(g)
        assert updated.nsCode == ns.code
    except Exception as e:  # 400 is the other allowed answer (G4)
        assert getattr(e, "resporse_code", None) == 400, str(e)
    assert api.group_service.get(g.id).nsCode == ns.code
    assert api.group_service.get_all(eq("nsCode", other.code)).totalResults == 0


def test_path_id_beats_body_id(api, make_namespace):
    ns = make_namespace()
    a = api.group_service.create(Group({"name": "a", "nsCode": ns.code, "description": "A"}))
    b = api.group_service.create(Group({"name": "b", "nsCode": ns.code, "description": "B"}))
    a.description = "changed"
    a.name = "a2"
    updated = api.group_service.update(a, b.id)  # body id is a.id, path is b.id
    assert updated.id == b.id
    assert api.group_service.get(b.id).description == "changed"
    got_a = api.group_service.get(a.id)
    assert got_a.name == "a" and got_a.description == "A"


def test_null_name_on_put_keeps_name(api, make_namespace):
    # 6.1.5: fields with mandatory values (group name) keep the stored value when null is sent.
    ns = make_namespace()
    g = api.group_service.create(Group({"name": "named", "nsCode": ns.code, "description": "old"}))
    updated = api.group_service.update(Group({"description": "new"}), g.id)
    assert updated.name == "named" and updated.description == "new"
    got = api.group_service.get(g.id)
    assert got.name == "named" and got.description == "new" and got.nsCode == ns.code
