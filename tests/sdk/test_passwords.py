"""Password requirements (U17, 5.15), password change (U22, 5.16), the policy
checks on create (U2) and the namespace's defaultGroupPolicy as their source
(5.14), changed with a raw `PUT namespace/{code}` (the SDK never sends it)."""

import pytest

from trivoreid.models.user import User

from conftest import eq, expect_error, find_nulls, remember_secret, set_policy, unique_code

NO_SUCH_ID = "000000000000000000000000"

# The defaults follow NIST SP 800-63B (length and a dictionary, one character class) so that
# every password the SDK generates passes (2 classes would refuse the ~5 in a million that
# come out all one case).
DEFAULT_REQUIREMENTS = {
    "minLength": 8, "maxLength": 128, "numberOfCharacteristics": 1,
    "alphabeticalSequenceMaxLength": 8, "numericalSequenceMaxLength": 8, "qwertySequenceMaxLength": 8,
    "historyLength": 0, "repeatCharacterLength": 2, "usernameForbidden": True, "dictionaryCheck": True,
}

# Each breaks the named rule of the default policy (sequences of 7 break a maximum
# of 5 whichever way "maximum" is read; runs of 3 identical break a maximum of 2).
BREAKING = {
    "TOO_SHORT": "Qx7#vZ",
    "TOO_LONG": ("Kq7mZp2w" * 17)[:130],
    "INSUFFICIENT_CHARACTERISTICS": "kqmzpwtrvbnx",
    "ILLEGAL_ALPHABETICAL_SEQUENCE": "Zk9-abcdefg-M",
    "ILLEGAL_NUMERICAL_SEQUENCE": "Kq-1234567-zW",
    "ILLEGAL_QWERTY_SEQUENCE": "Z9-asdfghj-Mk",
    "REPEATED_CHARS": "Kq7-mmmm-Zp2w",
    "DICTIONARY_WORD": "password",
}


def _json(resp, status=200):
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text[:400]}"
    return resp.json()


@pytest.fixture
def ns(make_namespace):
    return make_namespace()


@pytest.fixture
def user(api, ns):
    return api.user_service.create(User({"nsCode": ns.code, "username": unique_code("pw")}),
                                   password=remember_secret("Init-Pw-7kQz-2mX"))


def codes_of(result):
    return [e.code for e in result.validationErrors]


# --------------------------------------------------------------------------- #
# Requirements
# --------------------------------------------------------------------------- #

def test_default_requirements(api, http, user):
    req = api.user_service.get_password_requirements(user.id)
    got = {k: getattr(req, k) for k in DEFAULT_REQUIREMENTS}
    assert got == DEFAULT_REQUIREMENTS
    raw = _json(http.get(f"user/{user.id}/password/requirements"))
    assert not find_nulls(raw)
    for k, v in DEFAULT_REQUIREMENTS.items():
        assert type(raw.get(k)) is type(v), (k, raw.get(k))


def test_requirements_follow_the_policy(api, http, ns, user):
    set_policy(http, ns.code, minPwLength=12, minCharClasses=3, maxPwSequenceLength=4,
               maxConsecutiveIdenticalChars=3, pwHistorySaved=5,
               passwordUserNameRuleEnforced=False, passwordDictionaryRuleEnforced=False)
    req = api.user_service.get_password_requirements(user.id)
    assert req.minLength == 12 and req.numberOfCharacteristics == 3
    assert req.alphabeticalSequenceMaxLength == 4
    assert req.numericalSequenceMaxLength == 4 and req.qwertySequenceMaxLength == 4
    assert req.repeatCharacterLength == 3 and req.historyLength == 5
    assert req.usernameForbidden is False and req.dictionaryCheck is False
    assert req.maxLength == 128


def test_requirements_unknown_user_is_404(api):
    expect_error(404, api.user_service.get_password_requirements, NO_SUCH_ID)


# --------------------------------------------------------------------------- #
# Change password
# --------------------------------------------------------------------------- #

def test_change_password_success(api, http, user):
    result = api.user_service.change_password(user.id, remember_secret("Good-Pw-4nT8-qLx"))
    assert result.success is True and result.validationErrors == []
    resp = http.put(f"user/{user.id}/password", json={"newPassword": remember_secret("Good-Pw-9vR3-wKj")})
    body = _json(resp)
    assert body.get("success") is True
    assert body.get("validationErrors", []) == []


def test_weak_password_answers_200_success_false(api, http, user):
    result = api.user_service.change_password(user.id, "a")
    assert result.success is False
    assert "TOO_SHORT" in codes_of(result)
    for e in result.validationErrors:
        assert isinstance(e.code, str) and e.code
        assert isinstance(e.message, str) and e.message
    raw = _json(http.put(f"user/{user.id}/password", json={"newPassword": "a"}))
    assert raw["success"] is False and isinstance(raw["validationErrors"], list)
    assert not find_nulls(raw)


# The rule tests pin the policy to the documented defaults so that each checks its
# rule; test_default_requirements alone checks what the defaults are.
DOCUMENTED_POLICY = {"minPwLength": 8, "minCharClasses": 2, "maxPwSequenceLength": 5,
                     "maxConsecutiveIdenticalChars": 2, "pwHistorySaved": 0,
                     "passwordUserNameRuleEnforced": True, "passwordDictionaryRuleEnforced": True}


@pytest.mark.parametrize("code", sorted(BREAKING))
def test_each_rule_has_its_code(api, http, ns, user, code):
    set_policy(http, ns.code, **DOCUMENTED_POLICY)
    result = api.user_service.change_password(user.id, BREAKING[code])
    assert result.success is False
    assert code in codes_of(result), f"{BREAKING[code]!r}: {codes_of(result)}"


def test_username_forbidden(api, user):
    pw = f"Q9!{user.username}Z"
    result = api.user_service.change_password(user.id, pw)
    assert result.success is False
    assert "USERNAME_FORBIDDEN" in codes_of(result), codes_of(result)


def test_rules_switched_off_by_policy(api, http, ns, user):
    # The random username may hold a run or a sequence: only the two rules under test count.
    set_policy(http, ns.code, passwordUserNameRuleEnforced=False, passwordDictionaryRuleEnforced=False,
               maxConsecutiveIdenticalChars=64, maxPwSequenceLength=64)
    with_name = remember_secret(f"Q9!{user.username}Z")
    result = api.user_service.change_password(user.id, with_name)
    assert result.success is True, codes_of(result)
    result = api.user_service.change_password(user.id, "password")
    assert "DICTIONARY_WORD" not in codes_of(result)


def test_longest_allowed_runs_pass(api, http, ns, user):
    set_policy(http, ns.code, **DOCUMENTED_POLICY)
    # Sequences of 4 and pairs of identical characters are within the default policy.
    result = api.user_service.change_password(user.id, remember_secret("Zk9-abcd-Mq2-wwXp"))
    assert result.success is True, codes_of(result)


def test_several_codes_at_once(api, http, ns, user):
    set_policy(http, ns.code, **DOCUMENTED_POLICY)
    result = api.user_service.change_password(user.id, "aaa")
    codes = codes_of(result)
    assert result.success is False
    assert {"TOO_SHORT", "INSUFFICIENT_CHARACTERISTICS", "REPEATED_CHARS"} <= set(codes), codes


def test_min_length_policy(api, http, ns, user):
    set_policy(http, ns.code, minPwLength=12)
    assert api.user_service.get_password_requirements(user.id).minLength == 12
    result = api.user_service.change_password(user.id, "Kq7-Zp2w-Mx")  # 11 characters
    assert result.success is False and "TOO_SHORT" in codes_of(result), codes_of(result)
    result = api.user_service.change_password(user.id, "Kq7!Zp2wMx")  # 10 characters
    assert result.success is False and "TOO_SHORT" in codes_of(result), codes_of(result)
    result = api.user_service.change_password(user.id, remember_secret("Kq7-Zp2w-Mx4r"))
    assert result.success is True, codes_of(result)


def test_char_classes_policy(api, http, ns, user):
    set_policy(http, ns.code, minCharClasses=3)
    result = api.user_service.change_password(user.id, "kqmzpw7t2rvb")  # lower + digit
    assert result.success is False and "INSUFFICIENT_CHARACTERISTICS" in codes_of(result)
    result = api.user_service.change_password(user.id, remember_secret("kqmZpw7t2rvb"))
    assert result.success is True, codes_of(result)


def test_history_policy(api, http, ns, user):
    set_policy(http, ns.code, pwHistorySaved=3)
    assert api.user_service.get_password_requirements(user.id).historyLength == 3
    p1, p2 = remember_secret("Hist-One-7qZx"), remember_secret("Hist-Two-4mWv")
    assert api.user_service.change_password(user.id, p1).success is True
    assert api.user_service.change_password(user.id, p2).success is True
    result = api.user_service.change_password(user.id, p1)
    assert result.success is False
    assert "HISTORY_VIOLATION" in codes_of(result), codes_of(result)
    result = api.user_service.change_password(user.id, p2)  # the current password is in the history too
    assert result.success is False and "HISTORY_VIOLATION" in codes_of(result)
    assert api.user_service.change_password(user.id, remember_secret("Hist-Three-8pNc")).success is True


def test_no_history_by_default(api, user):
    p1, p2 = remember_secret("NoHist-A-7qZx"), remember_secret("NoHist-B-4mWv")
    assert api.user_service.change_password(user.id, p1).success is True
    assert api.user_service.change_password(user.id, p2).success is True
    assert api.user_service.change_password(user.id, p1).success is True


def test_change_password_bad_requests(api, http, user):
    expect_error(404, api.user_service.change_password, NO_SUCH_ID, "Whatever-7qZx")
    resp = http.put(f"user/{user.id}/password")  # no body at all
    assert resp.status_code in (400, 415), (resp.status_code, resp.text)
    assert resp.json().get("errorMessage")
    for body in ({}, {"newPassword": None}, {"newPassword": 12345678}):
        resp = http.put(f"user/{user.id}/password", json=body)
        assert resp.status_code == 400, (body, resp.status_code, resp.text)
        assert resp.json().get("errorMessage")


# --------------------------------------------------------------------------- #
# Policy on create, and the raw policy PUT
# --------------------------------------------------------------------------- #

def test_sdk_style_password_with_short_email_local_part_is_accepted(api, ns):
    # U2: the default policy MUST accept every password the SDK generates (15 random
    # alphanumerics). One that happens to contain a short email local part is one of them.
    u = api.user_service.create(User({"nsCode": ns.code, "emails": [{"address": "kq7@example.com"}]}),
                                password=remember_secret("Kq7mZp2wXr4tLn9"))
    assert u.id
    result = api.user_service.change_password(u.id, remember_secret("xR4kq7tLn9Zp2wM"))
    assert result.success is True, codes_of(result)


def test_create_with_weak_password_is_400(api, ns):
    err = expect_error(400, api.user_service.create, User({"nsCode": ns.code}), password="password")
    msg = str(err).lower()
    assert "dictionary" in msg or "characteristic" in msg or "character" in msg, str(err)
    err = expect_error(400, api.user_service.create, User({"nsCode": ns.code}), password="Qx7#vZ")
    msg = str(err)
    assert "TOO_SHORT" in msg or "short" in msg.lower() or "length" in msg.lower(), msg
    assert api.user_service.get_all(eq("nsCode", ns.code)).totalResults == 0


def test_create_follows_namespace_policy(api, http, ns):
    set_policy(http, ns.code, minPwLength=12)
    expect_error(400, api.user_service.create, User({"nsCode": ns.code}), password="Kq7!Zp2wMx")
    u = api.user_service.create(User({"nsCode": ns.code}), password=remember_secret("Kq7-Zp2w-Mx4r"))
    assert u.id
    # The SDK's generated 15-character passwords still pass a 12-character minimum.
    assert api.user_service.create(User({"nsCode": ns.code})).id


def test_policy_put_changes_only_given_keys(api, http, ns):
    before = _json(http.get(f"namespace/{ns.code}"))["defaultGroupPolicy"]
    after = set_policy(http, ns.code, minPwLength=12, deleteMode="SOFT_DELETE")
    assert after["minPwLength"] == 12 and after["deleteMode"] == "SOFT_DELETE"
    for k, v in before.items():
        if k not in ("minPwLength", "deleteMode"):
            assert after.get(k) == v, (k, before.get(k), after.get(k))
    stored = _json(http.get(f"namespace/{ns.code}"))["defaultGroupPolicy"]
    assert stored == after
    # An SDK update (which never sends defaultGroupPolicy) keeps it.
    sdk_ns = api.namespace_service.get(ns.code)
    sdk_ns.name = "renamed"
    api.namespace_service.update(sdk_ns)
    assert _json(http.get(f"namespace/{ns.code}"))["defaultGroupPolicy"] == after
    # The other namespace fields are untouched by a policy-only PUT.
    ns_now = _json(http.get(f"namespace/{ns.code}"))
    assert ns_now["name"] == "renamed" and ns_now["code"] == ns.code


def test_policy_put_rejects_bad_values(http, ns):
    before = _json(http.get(f"namespace/{ns.code}"))["defaultGroupPolicy"]
    for bad in ({"minPwLength": -1}, {"minPwLength": "twelve"}, {"deleteMode": "SOMETIMES"}):
        resp = http.put(f"namespace/{ns.code}", json={"defaultGroupPolicy": bad})
        assert resp.status_code == 400, (bad, resp.status_code, resp.text)
    assert _json(http.get(f"namespace/{ns.code}"))["defaultGroupPolicy"] == before
