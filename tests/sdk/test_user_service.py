"""User sub-resources: custom fields (U14-U16) and filtering on them, enterprise
(U12, U13), legal info (U6), student state (U28) and its mirror in
customerGroupInfo (contract 4.1, 5.7, 5.9, 5.10, 5.17, section 7 items 9 and 10)."""

import datetime
import json

import pytest

from trivoreid.models.enterprise import Enterprise
from trivoreid.models.user import LegalInfo, StudentState, User
from trivoreid.utils.criteria import Filter

from conftest import ISO_INSTANT_RE, and_, eq, expect_error, find_nulls, or_

NO_SUCH_ID = "000000000000000000000000"


def _json(resp, status=200):
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text[:400]}"
    return resp.json()


@pytest.fixture
def ns(make_namespace):
    return make_namespace()


@pytest.fixture
def user(api, ns):
    return api.user_service.create(User({"nsCode": ns.code, "name": {"givenName": "Cas", "familyName": "Tom"}}))


def fields_of(api, uid):
    raw = api.user_service.get_custom_fields(uid)
    assert isinstance(raw, bytes)
    value = json.loads(raw)
    assert isinstance(value, dict), raw
    return value


# --------------------------------------------------------------------------- #
# Custom fields
# --------------------------------------------------------------------------- #

def test_custom_fields_empty_is_object(api, http, user):
    assert fields_of(api, user.id) == {}
    resp = http.get(f"user/{user.id}/customfields")
    assert resp.status_code == 200 and resp.json() == {}


def test_custom_fields_round_trip_any_json(api, user):
    value = {"shoeSize": 38, "prefs": {"lang": "fi", "dark": True, "list": [1, "two", None, 3.5]},
             "nothing": None, "text": "äö €", "neg": -7, "flag": False}
    api.user_service.update_custom_fields(user.id, value)
    assert fields_of(api, user.id) == value


def test_custom_fields_post_answers_200(http, user):
    resp = http.post(f"user/{user.id}/customfields", json={"a": 1})
    assert resp.status_code == 200, resp.text


def test_custom_fields_merge_at_top_level(api, user):
    us = api.user_service
    us.update_custom_fields(user.id, {"shoeSize": 38, "prefs": {"lang": "fi", "theme": "dark"}})
    us.update_custom_fields(user.id, {"color": "red", "prefs": {"lang": "sv"}})
    assert fields_of(api, user.id) == {"shoeSize": 38, "color": "red", "prefs": {"lang": "sv"}}


def test_custom_fields_delete_removes_all(api, http, user):
    api.user_service.update_custom_fields(user.id, {"a": 1, "b": 2})
    resp = http.delete(f"user/{user.id}/customfields")
    assert resp.status_code == 204, resp.text
    assert fields_of(api, user.id) == {}
    api.user_service.delete_custom_fields(user.id)  # deleting nothing is still 204
    assert fields_of(api, user.id) == {}


def test_custom_fields_not_an_object_is_400(api, http, user):
    api.user_service.update_custom_fields(user.id, {"kept": 1})
    for body in ([1, 2], "text", 5):
        resp = http.post(f"user/{user.id}/customfields", json=body)
        assert resp.status_code == 400, (body, resp.status_code, resp.text)
        assert resp.json().get("errorMessage")
    assert fields_of(api, user.id) == {"kept": 1}


def test_custom_fields_unknown_user_is_404(api):
    expect_error(404, api.user_service.get_custom_fields, NO_SUCH_ID)
    expect_error(404, api.user_service.update_custom_fields, NO_SUCH_ID, {"a": 1})
    expect_error(404, api.user_service.delete_custom_fields, NO_SUCH_ID)


def test_custom_fields_do_not_leak_into_user(api, http, user):
    api.user_service.update_custom_fields(user.id, {"shoeSize": 38})
    got = api.user_service.get(user.id)
    got.nickName = "kept-fields"
    api.user_service.update(got)  # a full-object PUT without custom fields
    assert fields_of(api, user.id) == {"shoeSize": 38}


def test_filter_on_custom_field(api, ns):
    us = api.user_service
    a = us.create(User({"nsCode": ns.code}))
    b = us.create(User({"nsCode": ns.code}))
    c = us.create(User({"nsCode": ns.code}))
    d = us.create(User({"nsCode": ns.code}))
    us.update_custom_fields(a.id, {"shoeSize": 38})
    us.update_custom_fields(b.id, {"shoeSize": "38"})
    us.update_custom_fields(c.id, {"shoeSize": 39, "other": "38"})
    # d has no custom fields
    page = us.get_all(and_(eq("nsCode", ns.code), Filter(Filter.EQUAL, "customFields.shoeSize", "38")))
    assert sorted(u.id for u in page.resources) == sorted([a.id, b.id])
    assert page.totalResults == 2
    page = us.get_all(and_(eq("nsCode", ns.code), Filter(Filter.EQUAL, "customFields.shoeSize", 39)))
    assert [u.id for u in page.resources] == [c.id]
    page = us.get_all(and_(eq("nsCode", ns.code), Filter(Filter.PRESENT, "customFields.shoeSize")))
    assert sorted(u.id for u in page.resources) == sorted([a.id, b.id, c.id])
    assert d.id not in [u.id for u in page.resources]


def test_filter_on_custom_field_without_nscode(api, ns):
    us = api.user_service
    marker = f"m{ns.code}"
    a = us.create(User({"nsCode": ns.code}))
    us.update_custom_fields(a.id, {"marker": marker})
    page = us.get_all(Filter(Filter.EQUAL, "customFields.marker", marker))
    assert [u.id for u in page.resources] == [a.id]
    us.delete_custom_fields(a.id)
    assert us.get_all(Filter(Filter.EQUAL, "customFields.marker", marker)).totalResults == 0


def test_filter_on_custom_field_combined(api, ns):
    us = api.user_service
    a = us.create(User({"nsCode": ns.code, "nickName": "alpha"}))
    b = us.create(User({"nsCode": ns.code, "nickName": "beta"}))
    us.update_custom_fields(a.id, {"team": "red"})
    us.update_custom_fields(b.id, {"team": "blue"})
    f = and_(eq("nsCode", ns.code), or_(eq("customFields.team", "red"), eq("nickName", "beta")))
    assert sorted(u.id for u in us.get_all(f).resources) == sorted([a.id, b.id])
    f = and_(eq("nsCode", ns.code), and_(eq("customFields.team", "red"), eq("nickName", "beta")))
    assert us.get_all(f).totalResults == 0


# --------------------------------------------------------------------------- #
# Enterprise
# --------------------------------------------------------------------------- #

def test_enterprise_empty_by_default(api, http, user):
    body = _json(http.get(f"user/{user.id}/enterprise"))
    assert isinstance(body, dict) and not find_nulls(body), body
    assert "businessId" not in body
    got = api.user_service.get_enterprise(user.id)
    assert got.businessId is None and got.tradeName is None


def test_enterprise_round_trip(api, http, user):
    sent = Enterprise({
        "businessId": "1234567-8", "vatId": "FI12345678", "tradeName": "Acme Oy", "domicile": "Helsinki",
        "leiCode": "5493001KJTIIGC8Y1R12", "parallelTradeNames": ["Acme Ab"],
        "auxiliaryTradeNames": ["Acme Labs", "Acme Shop"], "tradeRegisterNumber": "123.456",
        "taxIdentificationNumber": "TIN-9",
        "general": {"phone": "+358 9 123", "email": "info@acme.example", "website": "https://acme.example"},
        "sales": {"email": "sales@acme.example", "contacts": "Sally"},
        "service": {}, "customerSupport": {"phone": "+358 9 456"},
    })
    want = sent.serialize()
    answered = api.user_service.update_enterprise(user.id, sent)
    got = api.user_service.get_enterprise(user.id)
    for e in (answered, got):
        s = e.serialize()
        s.pop("meta"), want.pop("meta", None)
        assert s == want
    raw = _json(http.get(f"user/{user.id}/enterprise"))
    assert not find_nulls(raw), find_nulls(raw)


def test_enterprise_put_replaces(api, user):
    api.user_service.update_enterprise(user.id, Enterprise({"businessId": "1234567-8", "tradeName": "Acme Oy"}))
    api.user_service.update_enterprise(user.id, Enterprise({"businessId": "7654321-0"}))
    got = api.user_service.get_enterprise(user.id)
    assert got.businessId == "7654321-0"
    assert got.tradeName is None


def test_enterprise_unknown_user_is_404(api):
    expect_error(404, api.user_service.get_enterprise, NO_SUCH_ID)
    expect_error(404, api.user_service.update_enterprise, NO_SUCH_ID, Enterprise({"businessId": "1"}))


# --------------------------------------------------------------------------- #
# Legal info
# --------------------------------------------------------------------------- #

LEGAL = {
    "firstNames": "Anna Maria", "lastName": "Virtanen", "callingName": "Anna",
    "email": "anna@example.com", "phone": "+358401112223",
    "domicile": {"names": {"fi": "Helsinki", "sv": "Helsingfors"}, "code": "091"},
    "personalIdentityCode": "010190-123A", "protectionOrder": False,
    "dateOfBirth": "1990-01-01",
    "addresses": [{"streetAddress": "Mannerheimintie 1", "postalCode": "00100", "locality": "Helsinki",
                   "country": "FI", "type": "PERMANENT", "language": "fi"}],
    "studentInfo": {"state": "FULL_TIME", "studentValidFrom": "2024-09-01", "studentValidTo": "2025-06-30"},
}


def test_legal_info_empty_by_default(api, http, user):
    resp = http.get(f"user/{user.id}/legal")
    assert resp.status_code == 200 and resp.json() == {}, resp.text
    legal = api.user_service.get_legal_info(user.id)
    assert legal.firstNames is None and legal.addresses == []


def test_legal_info_put_and_get(api, http, user):
    sent = LegalInfo(json.loads(json.dumps(LEGAL)))
    resp = http.put(f"user/{user.id}/legal", json=sent.serialize())
    assert resp.status_code == 200, resp.text
    raw = _json(http.get(f"user/{user.id}/legal"))
    assert not find_nulls(raw), find_nulls(raw)
    for key, value in LEGAL.items():
        assert raw.get(key) == value, (key, raw.get(key), value)
    got = api.user_service.get_legal_info(user.id).serialize()
    want = LegalInfo(json.loads(json.dumps(LEGAL))).serialize()
    got.pop("lastUpdatedAt"), want.pop("lastUpdatedAt")
    assert got == want


def test_legal_info_unknown_user_is_404(api, http):
    expect_error(404, api.user_service.get_legal_info, NO_SUCH_ID)
    assert http.put(f"user/{NO_SUCH_ID}/legal", json={"firstNames": "x"}).status_code == 404


# --------------------------------------------------------------------------- #
# Student state
# --------------------------------------------------------------------------- #

def _today():
    return datetime.date.today()


def test_student_state_default_unknown(api, http, user):
    assert _json(http.get(f"user/{user.id}/student/state")) == {"state": "UNKNOWN"}
    assert api.user_service.get_student_state(user.id).state == "UNKNOWN"


def test_student_state_full_time_now(api, http, user):
    start = (_today() - datetime.timedelta(days=30)).isoformat()
    end = (_today() + datetime.timedelta(days=300)).isoformat()
    sent = StudentState({"state": "FULL_TIME", "studentFrom": start, "studentTo": end})
    answered = api.user_service.update_student_state(user.id, sent)
    assert answered.state == "FULL_TIME"
    assert answered.studentFrom == start and answered.studentTo == end
    assert answered.source == "API"
    assert answered.updated and ISO_INSTANT_RE.match(answered.updated), answered.updated
    got = api.user_service.get_student_state(user.id)
    assert got.serialize() == answered.serialize()
    raw = _json(http.get(f"user/{user.id}/student/state"))
    assert not find_nulls(raw), find_nulls(raw)

    cgi = api.user_service.get(user.id).customerGroupInfo
    assert cgi.student is True
    assert cgi.studentValidFrom == start and cgi.studentValidTo == end
    assert cgi.studentValidNow is True


def test_student_state_window_in_the_past(api, user):
    api.user_service.update_student_state(user.id, StudentState(
        {"state": "FULL_TIME", "studentFrom": "2019-09-01", "studentTo": "2020-06-30"}))
    cgi = api.user_service.get(user.id).customerGroupInfo
    assert cgi.student is True
    assert cgi.studentValidFrom == "2019-09-01" and cgi.studentValidTo == "2020-06-30"
    assert cgi.studentValidNow is False


def test_student_state_window_in_the_future(api, user):
    start = (_today() + datetime.timedelta(days=10)).isoformat()
    end = (_today() + datetime.timedelta(days=400)).isoformat()
    api.user_service.update_student_state(user.id, StudentState(
        {"state": "PART_TIME", "studentFrom": start, "studentTo": end}))
    cgi = api.user_service.get(user.id).customerGroupInfo
    assert cgi.student is True
    assert cgi.studentValidNow is False


def test_student_state_not_student(api, user):
    api.user_service.update_student_state(user.id, StudentState(
        {"state": "FULL_TIME", "studentFrom": "2019-09-01", "studentTo": "2099-06-30"}))
    api.user_service.update_student_state(user.id, StudentState({"state": "NOT_STUDENT"}))
    assert api.user_service.get_student_state(user.id).state == "NOT_STUDENT"
    cgi = api.user_service.get(user.id).customerGroupInfo
    assert cgi.student is False
    assert cgi.studentValidNow is not True


def test_student_state_keeps_given_source(api, user):
    answered = api.user_service.update_student_state(user.id, StudentState(
        {"state": "PART_TIME", "studentFrom": "2024-01-01", "studentTo": "2099-12-31", "source": "REGISTRY"}))
    assert answered.source == "REGISTRY"
    assert api.user_service.get_student_state(user.id).source == "REGISTRY"
    assert api.user_service.get(user.id).customerGroupInfo.studentValidNow is True


def test_student_state_invalid_date_is_400(api, user):
    api.user_service.update_student_state(user.id, StudentState(
        {"state": "FULL_TIME", "studentFrom": "2024-09-01", "studentTo": "2025-06-30"}))
    for bad in ({"studentFrom": "soon"}, {"studentTo": "2025-13-45"}):
        data = {"state": "PART_TIME", "studentFrom": "2024-09-01", "studentTo": "2025-06-30"}
        data.update(bad)
        expect_error(400, api.user_service.update_student_state, user.id, StudentState(data))
    got = api.user_service.get_student_state(user.id)
    assert got.state == "FULL_TIME" and got.studentFrom == "2024-09-01"


def test_student_state_unknown_state_is_400(api, user):
    expect_error(400, api.user_service.update_student_state, user.id,
                 StudentState({"state": "SOMETIMES", "studentFrom": "2024-09-01"}))
    assert api.user_service.get_student_state(user.id).state == "UNKNOWN"


def test_student_state_unknown_user_is_404(api):
    expect_error(404, api.user_service.get_student_state, NO_SUCH_ID)
    expect_error(404, api.user_service.update_student_state, NO_SUCH_ID, StudentState({"state": "FULL_TIME"}))


def test_student_state_post_answers_200(http, user):
    resp = http.post(f"user/{user.id}/student/state", json={"state": "FULL_TIME", "studentFrom": None,
                                                              "studentTo": None, "updated": None,
                                                              "lastQuerySuccess": None, "lastQueryError": None,
                                                              "source": None})
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "FULL_TIME"
