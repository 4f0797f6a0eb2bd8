"""Raw HTTP checks the SDK cannot express: response serialisation (contract 1.3,
6.2), error bodies (1.5, 5.29), request tolerance (1.2, 6.1) and bad input."""

import json

import pytest

from trivoreid.models.groups import Group
from trivoreid.models.user import User

from conftest import ISO_INSTANT_RE, eq, expect_error, find_nulls, unique_code


@pytest.fixture(scope="module")
def sample(api, server):
    """A namespace with a group, a parent group, a bare user and a rich user, all made by the SDK
    (so every request carried the SDK's nulls)."""
    from trivoreid.models.namespace import Namespace
    from conftest import purge_namespace
    code = unique_code("raw")
    api.namespace_service.create(Namespace({"code": code, "name": "Raw", "shortName": "RAW"}))
    try:
        parent = api.group_service.create(Group({"name": "parent", "nsCode": code}))
        child = api.group_service.create(Group({"name": "child", "nsCode": code, "memberOf": [parent.id],
                                                "description": "Child"}))
        bare = api.user_service.create(User({"nsCode": code}))
        rich = api.user_service.create(User({
            "nsCode": code, "memberOf": ["parent"],
            "emails": [{"address": "plain@example.com"},
                       {"address": "tagged@example.com", "name": "work", "tags": ["t1"]}],
            "mobiles": [{"number": "+358401234567"}, {"number": "+358407654321", "tags": ["m"]}],
            "addresses": [{"name": "home", "country": "FI", "locality": "Helsinki"}],
            "name": {"givenName": "Ann", "familyName": "Example"},
            "consents": {"marketingEmail": True},
        }))
        yield {"code": code, "parent": parent, "child": child, "bare": bare, "rich": rich}
    finally:
        purge_namespace(api, code)


def _json(resp):
    try:
        return resp.json()
    except ValueError:
        raise AssertionError(f"not JSON ({resp.status_code} {resp.headers.get('Content-Type')}): {resp.text[:300]!r}")


def check_error(resp, status):
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.text[:500])
    body = _json(resp)
    assert isinstance(body, dict), body
    assert isinstance(body.get("errorMessage"), str) and body["errorMessage"].strip(), body
    assert body.get("statusCode") == resp.status_code, body
    return body


# --------------------------------------------------------------------------- #
# Serialisation: no nulls, omitted empties
# --------------------------------------------------------------------------- #

def test_no_nulls_in_responses(http, sample):
    code = sample["code"]
    docs = {
        "user bare": http.get(f"user/{sample['bare'].id}"),
        "user rich": http.get(f"user/{sample['rich'].id}"),
        "user list": http.get("user", params={"filter": f'nsCode eq "{code}"', "startIndex": 0, "count": 100}),
        "namespace": http.get(f"namespace/{code}"),
        "namespace list": http.get("namespace", params={"filter": f'code eq "{code}"', "startIndex": 0,
                                                         "count": 100, "all": "True"}),
        "group": http.get(f"group/{sample['child'].id}"),
        "group list": http.get("group", params={"filter": f'nsCode eq "{code}"'}),
        "nested": http.get(f"group/{sample['parent'].id}/nested"),
    }
    problems = {}
    for name, resp in docs.items():
        assert resp.status_code == 200, (name, resp.status_code, resp.text[:300])
        nulls = find_nulls(_json(resp))
        if nulls:
            problems[name] = nulls
    assert not problems, f"null values in responses: {problems}"


def test_user_wire_shape(http, sample):
    body = _json(http.get(f"user/{sample['rich'].id}"))
    assert "password" not in body
    plain, tagged = body["emails"]
    assert plain["address"] == "plain@example.com"
    assert "tags" not in plain, "an untagged email must omit tags (1.3.3)"
    assert tagged["tags"] == ["t1"] and tagged["name"] == "work"
    for e in body["emails"]:
        assert isinstance(e.get("verified", False), bool)
    for m in body["mobiles"]:
        assert isinstance(m.get("tags", []), list)
        assert isinstance(m.get("verified", False), bool)
    assert body["mobiles"][1].get("tags") == ["m"]
    assert "verified" not in body["addresses"][0], "address verified must be omitted when unset"
    assert isinstance(body["name"], dict) and isinstance(body["consents"], dict)
    assert body["consents"].get("marketingEmail") is True
    assert body["memberOf"] == [sample["parent"].id]
    assert ISO_INSTANT_RE.match(body["meta"]["created"]), body["meta"]
    assert ISO_INSTANT_RE.match(body["meta"]["lastModified"]), body["meta"]


def test_bare_user_omits_empty_arrays(http, sample):
    body = _json(http.get(f"user/{sample['bare'].id}"))
    for key in ("emails", "mobiles", "addresses", "memberOf", "tags", "domicileClasses"):
        assert key not in body or body[key] == [], (key, body.get(key))
    assert "password" not in body
    for key in ("name", "consents", "meta", "strongIdentification", "customerGroupInfo", "place_of_birth"):
        assert key not in body or isinstance(body[key], dict), (key, body.get(key))


def test_create_response_has_no_password(http, sample):
    resp = http.post("user", json={"nsCode": sample["code"], "password": "Pw9xKq2mZr7Lt4B"})
    assert resp.status_code == 201, resp.text
    body = _json(resp)
    assert body.get("id") and "password" not in body
    assert "Pw9xKq2mZr7Lt4B" not in resp.text


def test_list_envelope(http, sample):
    resp = http.get("user", params={"filter": f'nsCode eq "{sample["code"]}"', "startIndex": 1, "count": 1})
    body = _json(resp)
    assert isinstance(body["resources"], list) and len(body["resources"]) == 1
    assert body["totalResults"] >= 3
    assert body.get("startIndex", 1) == 1
    empty = _json(http.get("user", params={"filter": f'nsCode eq "{unique_code("none")}"'}))
    assert empty["resources"] == [] and empty["totalResults"] == 0


def test_nested_is_bare_array(http, sample):
    body = _json(http.get(f"group/{sample['parent'].id}/nested"))
    assert isinstance(body, list)
    assert [g["id"] for g in body] == [sample["child"].id]


# --------------------------------------------------------------------------- #
# Error bodies
# --------------------------------------------------------------------------- #

def test_not_found_error_body(http):
    check_error(http.get("user/000000000000000000000000"), 404)
    check_error(http.get("group/000000000000000000000000"), 404)
    check_error(http.get(f"namespace/{unique_code('none')}"), 404)
    check_error(http.delete("user/000000000000000000000000"), 404)


def test_unknown_route_is_404_json(http, server):
    check_error(http.get("doesnotexist"), 404)
    check_error(http.get("user/000000000000000000000000/doesnotexist/deeper"), 404)
    import requests
    check_error(requests.get(server.url + "/no/such/route"), 404)


def test_wrong_method_is_json_error(http):
    resp = http.request("PATCH", "namespace/default")
    check_error(resp, (404, 405))
    resp = http.delete("user")
    check_error(resp, (404, 405))


def test_conflict_error_body(http, sample):
    body = check_error(http.post("namespace", json={"code": sample["code"], "name": "dup"}), 409)
    assert body["statusCode"] == 409


def test_validation_error_body(http, sample):
    check_error(http.post("group", json={"nsCode": sample["code"]}), 400)


# --------------------------------------------------------------------------- #
# Bad input
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("path", ["user", "group", "namespace"])
def test_malformed_json_is_400(http, path):
    check_error(http.post(path, data=b'{"nsCode": ', headers={"Content-Type": "application/json"}), 400)


def test_malformed_json_on_put_is_400(http, sample):
    check_error(http.put(f"user/{sample['bare'].id}", data=b"{not json}",
                         headers={"Content-Type": "application/json"}), 400)


def test_json_that_is_not_an_object_is_400(http):
    check_error(http.post("user", json=[1, 2, 3]), 400)
    check_error(http.post("group", json="group"), 400)


@pytest.mark.parametrize("body", [
    {"locked": "yes"},
    {"emails": "not-a-list"},
    {"memberOf": "parent"},
    {"name": "Ann"},
    {"consents": {"marketingEmail": "sure"}},
])
def test_wrong_json_type_is_400(http, sample, body):
    payload = dict(body, nsCode=sample["code"])
    check_error(http.post("user", json=payload), 400)


def test_wrong_type_on_namespace_update_is_400(http, sample):
    check_error(http.put(f"namespace/{sample['code']}", json={"code": sample["code"],
                                                            "commMethodMaxQty": "three"}), 400)


def test_empty_body_on_create_is_400(http):
    resp = http.post("user", data=b"", headers={"Content-Type": "application/json"})
    check_error(resp, 400)


def test_body_over_one_mib_is_413(http, sample):
    payload = json.dumps({"nsCode": sample["code"], "nickName": "x" * (1024 * 1024 + 100)}).encode()
    resp = http.post("user", data=payload, headers={"Content-Type": "application/json"})
    check_error(resp, 413)


def test_body_just_under_one_mib_is_not_413(http, sample):
    # A large but allowed body must not be rejected for its size.
    payload = json.dumps({"nsCode": sample["code"], "tags": ["t" * 1000] * 900}).encode()
    assert len(payload) < 1024 * 1024
    resp = http.post("user", data=payload, headers={"Content-Type": "application/json"})
    assert resp.status_code != 413 and resp.status_code < 500, (resp.status_code, resp.text[:300])


def test_unknown_ns_code_is_4xx(api, http):
    code = unique_code("nope")
    resp = http.post("user", json={"nsCode": code})
    assert resp.status_code < 500, resp.text
    check_error(resp, (400, 404))
    expect_error((400, 404), api.user_service.create, User({"nsCode": code}))


def test_invalid_id_shapes_are_404_not_500(http):
    for path in ("user/not-an-id", "user/%20", "group/zzzz", "user/" + "f" * 200):
        resp = http.get(path)
        assert resp.status_code < 500, (path, resp.status_code, resp.text[:200])
        check_error(resp, (400, 404))


def test_bad_paging_parameters_are_400(http):
    for params in ({"startIndex": "abc"}, {"count": "many"}):
        resp = http.get("user", params=params)
        assert resp.status_code < 500, (params, resp.status_code)
        check_error(resp, 400)


# --------------------------------------------------------------------------- #
# Request tolerance
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("value", ["False", "True", "false", "TRUE"])
def test_namespace_all_parameter(http, sample, value):
    resp = http.get("namespace", params={"all": value, "startIndex": 0, "count": 500})
    assert resp.status_code == 200, resp.text
    body = _json(resp)
    assert isinstance(body["resources"], list)
    assert sample["code"] in [n["code"] for n in body["resources"]]


def test_accept_star_gets_json(http, sample):
    for accept in ("*/*", "application/json", None):
        headers = {"Accept": accept} if accept else {}
        resp = http.get(f"user/{sample['bare'].id}", headers=headers)
        assert resp.status_code == 200, (accept, resp.status_code)
        assert _json(resp)["id"] == sample["bare"].id


def test_filter_as_the_sdk_encodes_it(http, sample):
    # '(nsCode eq "x")  and  (emails pr )' form-encoded as requests does it.
    resp = http.get("user", params={"filter": f'(nsCode eq "{sample["code"]}")  and  (emails pr )',
                                    "startIndex": 0, "count": 100})
    body = _json(resp)
    assert resp.status_code == 200, body
    assert [u["id"] for u in body["resources"]] == [sample["rich"].id]


def test_bodiless_delete_without_content_type(api, http, sample):
    u = api.user_service.create(User({"nsCode": sample["code"]}))
    resp = http.delete(f"user/{u.id}", headers={"Content-Length": "0"})
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    check_error(http.get(f"user/{u.id}"), 404)


def test_success_codes(http, sample):
    code = sample["code"]
    r = http.post("group", json={"name": "codes", "nsCode": code})
    assert r.status_code == 201
    gid = r.json()["id"]
    assert http.get(f"group/{gid}").status_code == 200
    assert http.put(f"group/{gid}", json={"id": None, "name": "codes2", "nsCode": code}).status_code == 200
    r = http.delete(f"group/{gid}")
    assert r.status_code == 204 and r.content == b""
    r = http.post("user", json={"nsCode": code})
    assert r.status_code == 201
    uid = r.json()["id"]
    assert http.put(f"user/{uid}", json={"nickName": "n"}).status_code == 200
    assert http.delete(f"user/{uid}").status_code == 204


def test_healthz(server):
    import requests
    resp = requests.get(server.url + "/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_path_segments_are_percent_decoded(api, http):
    from trivoreid.models.namespace import Namespace
    code = unique_code("p.c-") + "_x"
    api.namespace_service.create(Namespace({"code": code, "name": "Percent"}))
    try:
        encoded = "".join(ch if ch.isalnum() else "%{:02X}".format(ord(ch)) for ch in code)
        assert encoded != code
        resp = http.get(f"namespace/{encoded}")
        assert resp.status_code == 200, resp.text
        assert _json(resp)["code"] == code
    finally:
        api.namespace_service.delete(code)


def test_meta_location_is_absolute_resource_url(http, server, sample):
    base = server.url + "/api/rest/v1/"
    user = _json(http.get(f"user/{sample['rich'].id}"))
    assert user["meta"]["location"] == base + f"user/{sample['rich'].id}"
    group = _json(http.get(f"group/{sample['child'].id}"))
    assert group["meta"]["location"] == base + f"group/{sample['child'].id}"
    ns = _json(http.get(f"namespace/{sample['code']}"))
    assert ns["meta"]["location"] in (base + f"namespace/{ns['id']}", base + f"namespace/{sample['code']}")
