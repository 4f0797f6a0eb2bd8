"""Strong identification (contract 4.1 U18-U21, 5.8, section 7 item 4): report,
read, the history endpoints (raw HTTP: the SDK's history methods are broken,
6.3 B2/B3), and personalId censoring for clients without ACCOUNT_VIEW_PERSONAL_ID."""

import time

import pytest

from trivoreid.models.user import User

from conftest import (EVERY_PERMISSION, ISO_INSTANT_RE, RawApi, expect_error, find_nulls, make_api)

NO_SUCH_ID = "000000000000000000000000"
PERSONAL_ID = "131052-308T"


def _json(resp, status=200):
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text[:400]}"
    return resp.json()


@pytest.fixture
def ns(make_namespace):
    return make_namespace()


@pytest.fixture
def user(api, ns):
    return api.user_service.create(User({"nsCode": ns.code}))


def history(http, uid, **params):
    body = _json(http.get(f"user/{uid}/strongidentification/history", params=params))
    assert isinstance(body.get("resources"), list), body
    return body


def test_not_identified_before(api, http, user):
    si = api.user_service.get_strong_identification(user.id)
    assert si.identified is False
    assert not si.count and si.time is None and si.personalId is None
    raw = _json(http.get(f"user/{user.id}/strongidentification"))
    assert raw.get("identified") is False
    assert not find_nulls(raw)
    assert api.user_service.get(user.id).strongIdentification.identified is not True


def test_report_once(api, server, http, user):
    si = api.user_service.report_strong_identification(user.id, "personalId", "remarks")
    assert si.identified is True
    assert si.count == 1
    assert si.method == "USER_API"
    assert si.identifier == server.bootstrap_id
    assert si.personalId == "personalId"
    assert si.remarks == "remarks"
    assert ISO_INSTANT_RE.match(si.time or ""), si.time
    assert ISO_INSTANT_RE.match(si.firstTime or ""), si.firstTime
    assert si.time == si.firstTime
    got = api.user_service.get_strong_identification(user.id)
    assert got.serialize() == si.serialize()
    embedded = api.user_service.get(user.id).strongIdentification
    assert embedded.identified is True and embedded.count == 1 and embedded.method == "USER_API"
    raw = _json(http.get(f"user/{user.id}/strongidentification"))
    assert not find_nulls(raw)


def test_report_answers_200_and_accepts_null_remarks(http, user):
    resp = http.post(f"user/{user.id}/strongidentification", json={"personalId": "anything at all", "remarks": None})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["identified"] is True and body["count"] == 1
    assert body["personalId"] == "anything at all"
    assert "remarks" not in body or body["remarks"] is None


def test_report_twice_counts(api, user):
    first = api.user_service.report_strong_identification(user.id, PERSONAL_ID, "first")
    time.sleep(0.01)
    second = api.user_service.report_strong_identification(user.id, PERSONAL_ID, "second")
    assert second.count == 2
    assert second.firstTime == first.firstTime
    assert second.time >= first.time
    assert second.time != second.firstTime
    assert second.remarks == "second"
    assert api.user_service.get_strong_identification(user.id).count == 2


def test_report_unknown_user_is_404(api):
    expect_error(404, api.user_service.get_strong_identification, NO_SUCH_ID)
    expect_error(404, api.user_service.report_strong_identification, NO_SUCH_ID, "x", "y")


def test_report_needs_personal_id(http, user):
    resp = http.post(f"user/{user.id}/strongidentification", json={"remarks": "no id"})
    assert resp.status_code == 400, resp.text
    assert _json(http.get(f"user/{user.id}/strongidentification")).get("identified") is False


# --------------------------------------------------------------------------- #
# History (raw HTTP)
# --------------------------------------------------------------------------- #

@pytest.fixture
def reported(api, user):
    for remark in ("r1", "r2", "r3"):
        api.user_service.report_strong_identification(user.id, PERSONAL_ID, remark)
        time.sleep(0.01)
    return user


def test_history_empty_before(http, user):
    body = history(http, user.id)
    assert body["resources"] == [] and body["totalResults"] == 0


def test_history_lists_every_report_oldest_first(server, http, reported):
    body = history(http, reported.id)
    assert body["totalResults"] == 3
    entries = body["resources"]
    assert [e["remarks"] for e in entries] == ["r1", "r2", "r3"]
    assert not find_nulls(body), find_nulls(body)
    for e in entries:
        assert e.get("id") and isinstance(e["id"], str), e
        assert e["personalId"] == PERSONAL_ID
        assert e["method"] == "USER_API"
        assert e["identifier"] == server.bootstrap_id
        assert ISO_INSTANT_RE.match(e.get("time", "")), e
    assert len({e["id"] for e in entries}) == 3
    times = [e["time"] for e in entries]
    assert times == sorted(times)


def test_history_paging(http, reported):
    p0 = history(http, reported.id, startIndex=0, count=2)
    p1 = history(http, reported.id, startIndex=2, count=2)
    assert p0["totalResults"] == 3 and p1["totalResults"] == 3
    assert [e["remarks"] for e in p0["resources"]] == ["r1", "r2"]
    assert [e["remarks"] for e in p1["resources"]] == ["r3"]


def test_history_sorting(http, reported):
    desc = history(http, reported.id, sortBy="time", ascending="descending")
    assert [e["remarks"] for e in desc["resources"]] == ["r3", "r2", "r1"]
    asc = history(http, reported.id, sortBy="time", ascending="ascending")
    assert [e["remarks"] for e in asc["resources"]] == ["r1", "r2", "r3"]


def test_history_filter(http, reported):
    body = history(http, reported.id, filter='remarks eq "r2"')
    assert body["totalResults"] == 1
    assert [e["remarks"] for e in body["resources"]] == ["r2"]
    none = history(http, reported.id, filter='remarks eq "nope"')
    assert none["totalResults"] == 0 and none["resources"] == []
    bad = http.get(f"user/{reported.id}/strongidentification/history", params={"filter": 'remarks eq'})
    assert bad.status_code == 400, bad.text


def test_history_entry(http, reported):
    entries = history(http, reported.id)["resources"]
    for e in entries:
        assert _json(http.get(f"user/{reported.id}/strongidentification/history/{e['id']}")) == e
    missing = http.get(f"user/{reported.id}/strongidentification/history/{NO_SUCH_ID}")
    assert missing.status_code == 404, missing.text
    assert missing.json().get("errorMessage")


def test_history_entry_belongs_to_its_user(api, http, ns, reported):
    other = api.user_service.create(User({"nsCode": ns.code}))
    entry = history(http, reported.id)["resources"][0]
    resp = http.get(f"user/{other.id}/strongidentification/history/{entry['id']}")
    assert resp.status_code == 404, resp.text


def test_history_unknown_user_is_404(http):
    resp = http.get(f"user/{NO_SUCH_ID}/strongidentification/history")
    assert resp.status_code == 404, resp.text


# --------------------------------------------------------------------------- #
# personalId censoring
# --------------------------------------------------------------------------- #

@pytest.fixture
def censored(server, ns):
    perms = [p for p in EVERY_PERMISSION if p != "ACCOUNT_VIEW_PERSONAL_ID"]
    cid, secret = server.create_client(namespaces=[ns.code], permissions=perms)
    return {"id": cid, "raw": RawApi(server.url, (cid, secret)), "api": make_api(server, cid, secret)}


def _assert_censored(value, text):
    assert value != PERSONAL_ID, "personalId shown in full without ACCOUNT_VIEW_PERSONAL_ID"
    assert PERSONAL_ID not in text, "the real personalId appears in the response"


def test_personal_id_censored_without_permission(api, http, censored, reported):
    uid = reported.id
    raw = censored["raw"]

    resp = raw.get(f"user/{uid}")
    _assert_censored(_json(resp).get("strongIdentification", {}).get("personalId"), resp.text)
    assert censored["api"].user_service.get(uid).strongIdentification.identified is True

    resp = raw.get(f"user/{uid}/strongidentification")
    body = _json(resp)
    _assert_censored(body.get("personalId"), resp.text)
    assert body["identified"] is True and body["count"] == 3

    resp = raw.get(f"user/{uid}/strongidentification/history")
    body = _json(resp)
    assert body["totalResults"] == 3
    for e in body["resources"]:
        _assert_censored(e.get("personalId"), resp.text)
        one = raw.get(f"user/{uid}/strongidentification/history/{e['id']}")
        _assert_censored(_json(one).get("personalId"), one.text)

    resp = raw.get("user", params={"filter": f'id eq "{uid}"'})
    assert PERSONAL_ID not in resp.text and _json(resp)["totalResults"] == 1

    # The full client still sees the real value.
    assert api.user_service.get_strong_identification(uid).personalId == PERSONAL_ID
    assert api.user_service.get(uid).strongIdentification.personalId == PERSONAL_ID


def test_censored_client_reports_and_is_the_identifier(api, censored, user):
    si = censored["api"].user_service.report_strong_identification(user.id, PERSONAL_ID, "by limited client")
    assert si.identified is True and si.count == 1
    assert si.identifier == censored["id"]
    assert si.personalId != PERSONAL_ID
    full = api.user_service.get_strong_identification(user.id)
    assert full.personalId == PERSONAL_ID and full.identifier == censored["id"]


def test_personal_id_censored_looks_masked(censored, reported):
    value = _json(censored["raw"].get(f"user/{reported.id}/strongidentification")).get("personalId")
    assert isinstance(value, str) and "*" in value, f"expected a masked personalId like '****', got {value!r}"


def test_legal_personal_identity_code_censored_without_permission(api, http, censored, user):
    code = "020202A987X"
    resp = http.put(f"user/{user.id}/legal", json={"firstNames": "Pia", "personalIdentityCode": code})
    assert resp.status_code == 200, resp.text
    assert api.user_service.get_legal_info(user.id).personalIdentityCode == code
    seen = censored["raw"].get(f"user/{user.id}/legal")
    assert _json(seen).get("firstNames") == "Pia"
    assert code not in seen.text, "personalIdentityCode shown in full without ACCOUNT_VIEW_PERSONAL_ID"
