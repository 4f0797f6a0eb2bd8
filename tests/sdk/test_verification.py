"""Email and phone verification and invitations, steps 26-29 of the acceptance scenario
(management-v1.md §4.1 U7-U11, §8), through the real SDK with real delivery: the server
mails to the suite's SMTP server and posts texts to its SMS webhook (conftest), and the
tests follow the links and read the codes from what arrived there."""

import os
import random
import re
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from trivoreid.models.groups import Group
from trivoreid.models.invite import Invite
from trivoreid.models.namespace import UsernamePolicy
from trivoreid.models.user import User

from conftest import (MAIL_FROM, PorttiServer, RawApi, eq, expect_error, list_all, make_api, portti_bin,
                      purge_namespace, remember_secret, set_policy, unique_code)

# Every code, token and link the tests saw; none may appear in the server log.
SEEN_SECRETS = set()

RETURN_URL = "https://app.example/done"
TOKEN = r"[A-Za-z0-9_-]{20,}"


def _mobile():
    """A Finnish mobile number of this run only (the webhook sink is shared by every test)."""
    return "+35840" + "".join(random.choice("0123456789") for _ in range(7))


def _address(tag="ann"):
    return f"{tag}.{unique_code('')}@example.com"


def _link(text, server, kind):
    """The one `{public url}/{kind}/{token}` link in `text`; remembered as a secret."""
    found = set(re.findall(re.escape(server.url) + "/" + kind + "/" + TOKEN, text))
    assert len(found) == 1, f"expected one {kind} link in {text!r}"
    link = found.pop()
    SEEN_SECRETS.add(link.rsplit("/", 1)[1])
    return link


def _code(text):
    codes = re.findall(r"\b\d{6}\b", text)
    assert len(codes) == 1, f"expected one six-digit code in {text!r}"
    SEEN_SECRETS.add(codes[0])
    return codes[0]


def _wrong(code):
    return "000000" if code != "000000" else "000001"


def _user(api, ns, emails=(), mobiles=(), **fields):
    data = {"nsCode": ns.code, **fields}
    if emails:
        data["emails"] = [{"address": a} for a in emails]
    if mobiles:
        data["mobiles"] = [{"number": m} for m in mobiles]
    return api.user_service.create(User(data))


def _outbox(run_cli, to):
    out = run_cli("outbox", "list", "--to", to, "--json").stdout
    return [line for line in out.splitlines() if line.strip()]


def _page(resp, status):
    assert resp.status_code == status, f"{resp.status_code} {resp.text[:300]}"
    assert resp.headers["Content-Type"].startswith("text/html"), resp.headers
    assert "<html" in resp.text and "</html>" in resp.text
    assert "<script" not in resp.text and " src=" not in resp.text  # self-contained
    return resp.text


# --------------------------------------------------------------------------- #
# Step 26: the email verification link
# --------------------------------------------------------------------------- #

def test_step26_mail_link_verifies_the_address_and_redirects(api, http, server, make_namespace, smtp_sink):
    ns = make_namespace(UsernamePolicy.EIGHT_NUMBERS)
    first, ann = _address("first"), _address("ann")
    u = _user(api, ns, emails=[first, ann])
    before = time.time()
    api.user_service.verify_email(u.id, ann, RETURN_URL, 3)

    mail = smtp_sink.mail_to(ann)
    assert mail.rcpt_tos == [ann.lower()]
    assert mail.mail_from == MAIL_FROM
    assert mail.subject == "Verify your email address"
    link = _link(mail.text, server, "verify/email")
    assert link in mail.html.replace("&amp;", "&")
    # The link expires in 3 days, as asked.
    expires = datetime.fromtimestamp(before, timezone.utc) + timedelta(days=3)
    assert expires.strftime("%Y-%m-%d") in mail.text

    assert [e.verified for e in api.user_service.get(u.id).emails] == [False, False]
    resp = requests.get(link, allow_redirects=False)
    assert resp.status_code == 303, resp.text[:300]
    assert resp.headers["Location"] == RETURN_URL
    assert resp.headers.get("Referrer-Policy") == "no-referrer"

    got = api.user_service.get(u.id)
    assert [e.verified for e in got.emails] == [False, True]
    raw = http.get(f"user/{u.id}").json()["emails"][1]
    assert raw["verifiedBy"] == "EMAIL_LINK"
    assert raw["verifiedDateTime"].endswith("Z")

    # A link works once.
    text = _page(requests.get(link, allow_redirects=False), 410)
    assert "already" in text


def test_mail_link_from_an_email_template(api, http, server, make_namespace, smtp_sink, run_cli,
                                          create_client):
    ns, other = make_namespace(), make_namespace()
    body = {"name": unique_code("verify"), "namespaceIds": [ns.code], "templateEngine": "MUSTACHE",
            "subjectTemplate": "{{brand}}: confirm {{emailAddress}}",
            "textTemplate": "Hi {{user.name.givenName}}, open {{link}} before {{expires}}. {{brand}}",
            "htmlTemplate": "<a href=\"{{link}}\">{{brand}}</a>"}
    resp = http.post("emailtemplate", json=body)
    assert resp.status_code == 201, resp.text
    template = resp.json()["id"]
    addr = _address()
    u = _user(api, ns, emails=[addr], name={"givenName": "Ann"})
    api.user_service.verify_email(u.id, addr, RETURN_URL, 2, emailTemplateId=template,
                                  emailTemplateProperties={"brand": "Acme"})
    mail = smtp_sink.mail_to(addr)
    assert mail.subject == f"Acme: confirm {addr}"
    assert mail.text.startswith("Hi Ann, open ") and mail.text.endswith(". Acme")
    link = _link(mail.text, server, "verify/email")
    assert f'<a href="{link}">Acme</a>' in mail.html
    assert requests.get(link, allow_redirects=False).headers["Location"] == RETURN_URL
    assert api.user_service.get(u.id).emails[0].verified is True

    # A template the namespace's client cannot see, or none at all, is a 404 and sends nothing.
    resp = http.post("emailtemplate", json=dict(body, name=unique_code("verify"), namespaceIds=[other.code]))
    foreign = resp.json()["id"]
    addr2 = _address()
    u2 = _user(api, ns, emails=[addr2])
    cid, secret = create_client(namespaces=[ns.code], permissions=["ACCOUNT_VIEW", "ACCOUNT_MODIFY"])
    limited = RawApi(server.url, (cid, secret))
    for tid in (foreign, "0" * 24):
        resp = limited.post(f"user/{u2.id}/email/verify", json={"value": addr2, "emailTemplateId": tid})
        assert resp.status_code == 404, resp.text
        assert "errorMessage" in resp.json()
    assert _outbox(run_cli, addr2) == []


def test_mail_link_defaults_to_the_first_address_and_a_confirmation_page(api, http, server, make_namespace,
                                                                          smtp_sink):
    ns = make_namespace()
    first = _address("first")
    u = _user(api, ns, emails=[first, _address("second")])
    api.user_service.verify_email(u.id, expiration_days=None)
    link = _link(smtp_sink.mail_to(first).text, server, "verify/email")
    text = _page(requests.get(link, allow_redirects=False), 200)
    assert first in text and "verified" in text
    assert api.user_service.get(u.id).emails[0].verified is True
    # A HEAD (link checkers) does not spend a link.
    assert requests.head(link).status_code == 200


def test_mail_link_lifetime_comes_from_the_policy_without_expiration_days(api, http, server, make_namespace,
                                                                         smtp_sink):
    ns = make_namespace()
    set_policy(http, ns.code, emailVerifyLinkExpireDays=2)
    addr = _address()
    u = _user(api, ns, emails=[addr])
    now = datetime.now(timezone.utc)
    api.user_service.verify_email(u.id, addr, expiration_days=None)
    text = smtp_sink.mail_to(addr).text
    _link(text, server, "verify/email")
    assert (now + timedelta(days=2)).strftime("%Y-%m-%d") in text or \
        (now + timedelta(days=2, minutes=1)).strftime("%Y-%m-%d") in text


def test_mail_link_unlocks_when_the_policy_says_so(api, http, server, make_namespace, smtp_sink):
    ns = make_namespace()
    set_policy(http, ns.code, emailVerificationUnlocksUser=True)
    addr = _address()
    resp = http.post("user", json={"nsCode": ns.code, "emails": [addr], "locked": True})
    assert resp.status_code == 201, resp.text
    uid = resp.json()["id"]
    api.user_service.verify_email(uid, addr)
    link = _link(smtp_sink.mail_to(addr).text, server, "verify/email")
    assert requests.get(link, allow_redirects=False).status_code == 200
    got = api.user_service.get(uid)
    assert got.emails[0].verified is True
    assert got.locked is False

    # Without the policy a locked user stays locked.
    other = _make_locked(http, make_namespace(), addr2 := _address())
    api.user_service.verify_email(other, addr2)
    link = _link(smtp_sink.mail_to(addr2).text, server, "verify/email")
    assert requests.get(link, allow_redirects=False).status_code == 200
    assert api.user_service.get(other).locked is True


def _make_locked(http, ns, addr):
    resp = http.post("user", json={"nsCode": ns.code, "emails": [addr], "locked": True})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_unknown_links_answer_a_page(base_url):
    for path in ("/verify/email/", "/verify/sms/", "/invite/"):
        text = _page(requests.get(base_url + path + "x" * 43, allow_redirects=False), 404)
        assert "not valid" in text


def _expire(server, user_id, invited):
    """Move the user's verifications and the invitation of `invited` past their expiry,
    in the store itself."""
    import sqlite3
    from conftest import database_url
    if database_url():
        pytest.skip("expires rows through the SQLite file")
    db = sqlite3.connect(os.path.join(server.data_dir, "portti.db"), timeout=30)
    try:
        db.execute("UPDATE verifications SET expires_ms = 1 WHERE user_id = ?", (user_id,))
        db.execute("UPDATE invites SET expires_ms = 1 WHERE email = ?", (invited,))
        db.commit()
    finally:
        db.close()


def test_expired_links_answer_410(api, http, server, make_namespace, smtp_sink):
    ns = make_namespace(UsernamePolicy.EIGHT_NUMBERS)
    addr, invited = _address("late"), _address("late.invite")
    u = _user(api, ns, emails=[addr])
    api.user_service.verify_email(u.id, addr, RETURN_URL, 1)
    link = _link(smtp_sink.mail_to(addr).text, server, "verify/email")
    api.user_service.invite(Invite(invited, ns.code, [], locale="sv"))
    _, invite = _invite_link(smtp_sink, server, invited)
    _expire(server, u.id, invited)
    assert "expired" in _page(requests.get(link, allow_redirects=False), 410)
    assert api.user_service.get(u.id).emails[0].verified is False
    assert "expired" in _page(requests.get(invite), 410)
    password = remember_secret("Mz5-Expired-Qw3t")
    _page(requests.post(invite, data={"password": password, "password2": password}), 410)
    assert [x.id for x in list_all(api.user_service.get_all, eq("nsCode", ns.code))] == [u.id]


# --------------------------------------------------------------------------- #
# Step 27: the SMS code
# --------------------------------------------------------------------------- #

def test_step27_sms_code_verifies_the_mobile(api, http, make_namespace, sms_sink):
    mobile = _mobile()
    ns = make_namespace(UsernamePolicy.EIGHT_NUMBERS)
    u = _user(api, ns, emails=[_address()], mobiles=[mobile])
    assert api.user_service.verify_sms_code(u.id, mobile) is None
    sms = sms_sink.sms_to(mobile)
    assert set(sms) >= {"to", "from", "text"}
    code = _code(sms["text"])

    assert api.user_service.verify_sms_code_check(u.id, _wrong(code)) is False
    assert api.user_service.get(u.id).mobiles[0].verified is False
    assert api.user_service.verify_sms_code_check(u.id, code) is True
    assert api.user_service.get(u.id).mobiles[0].verified is True
    raw = http.get(f"user/{u.id}").json()["mobiles"][0]
    assert raw["verifiedBy"] == "SMS_CODE" and raw["verifiedDateTime"].endswith("Z")
    # A code is spent once used.
    assert api.user_service.verify_sms_code_check(u.id, code) is False


def test_sms_code_never_sent_is_wrong(api, make_namespace):
    mobile = _mobile()
    ns = make_namespace()
    u = _user(api, ns, mobiles=[mobile])
    assert api.user_service.verify_sms_code_check(u.id, "1234") is False
    assert api.user_service.verify_sms_code_check(u.id, "123456") is False


def test_sms_code_goes_to_the_first_mobile_and_a_new_code_replaces_the_old(api, make_namespace, sms_sink):
    mobile = _mobile()
    ns = make_namespace()
    second = _mobile()
    u = _user(api, ns, mobiles=[mobile, second])
    api.user_service.verify_sms_code(u.id)
    old = _code(sms_sink.sms_to(mobile)["text"])
    api.user_service.verify_sms_code(u.id, second)
    new = _code(sms_sink.sms_to(second)["text"])
    if old != new:
        assert api.user_service.verify_sms_code_check(u.id, old) is False
    assert api.user_service.verify_sms_code_check(u.id, new) is True
    assert [m.verified for m in api.user_service.get(u.id).mobiles] == [False, True]


def test_sms_numbers_are_compared_in_e164_with_the_default_region(api, http, make_namespace, sms_sink):
    mobile = _mobile()
    ns = make_namespace()
    resp = http.put(f"namespace/{ns.code}", json={"smsSettings": {"defaultRegion": "FI", "defaultOriginator": "Portti"}})
    assert resp.status_code == 200, resp.text
    national = f"0{mobile[4:6]} {mobile[6:9]} {mobile[9:]}"  # 040 123 4567
    u = _user(api, ns, mobiles=[national])
    api.user_service.verify_sms_code(u.id, f"{mobile[:4]} {mobile[4:6]} {mobile[6:]}")
    sms = sms_sink.sms_to(mobile)
    assert sms["from"] == "Portti"
    assert api.user_service.verify_sms_code_check(u.id, _code(sms["text"])) is True
    got = api.user_service.get(u.id).mobiles[0]
    assert got.verified is True and got.number == national


def test_sms_daily_limit_counts_sends_and_checks(api, http, make_namespace, sms_sink):
    mobile = _mobile()
    ns = make_namespace()
    set_policy(http, ns.code, mobileVerificationAttemptsPerDay=3)
    u = _user(api, ns, mobiles=[mobile])
    api.user_service.verify_sms_code(u.id, mobile)                          # 1
    code = _code(sms_sink.sms_to(mobile)["text"])
    assert api.user_service.verify_sms_code_check(u.id, _wrong(code)) is False  # 2
    assert api.user_service.verify_sms_code_check(u.id, _wrong(code)) is False  # 3
    err = expect_error(429, api.user_service.verify_sms_code, u.id, mobile)
    assert "attempts" in str(err)
    # Past the limit even the right code is wrong, until the window passes.
    assert api.user_service.verify_sms_code_check(u.id, code) is False
    assert api.user_service.get(u.id).mobiles[0].verified is False
    # The limit is per user.
    other = _user(api, ns, mobiles=[mobile])
    api.user_service.verify_sms_code(other.id, mobile)


# --------------------------------------------------------------------------- #
# Step 28: the SMS link
# --------------------------------------------------------------------------- #

def test_step28_sms_link_verifies_the_mobile(api, http, server, make_namespace, sms_sink):
    mobile = _mobile()
    ns = make_namespace(UsernamePolicy.EIGHT_NUMBERS)
    u = _user(api, ns, mobiles=[mobile])
    assert api.user_service.verify_sms_link(u.id, mobile, RETURN_URL) is None
    sms = sms_sink.sms_to(mobile)
    link = _link(sms["text"], server, "verify/sms")
    assert api.user_service.get(u.id).mobiles[0].verified is False
    resp = requests.get(link, allow_redirects=False)
    assert resp.status_code == 303 and resp.headers["Location"] == RETURN_URL
    assert api.user_service.get(u.id).mobiles[0].verified is True
    assert http.get(f"user/{u.id}").json()["mobiles"][0]["verifiedBy"] == "SMS_LINK"
    _page(requests.get(link, allow_redirects=False), 410)
    # An SMS link is not an email link.
    token = link.rsplit("/", 1)[1]
    _page(requests.get(f"{server.url}/verify/email/{token}", allow_redirects=False), 404)


# --------------------------------------------------------------------------- #
# Step 29: invitations
# --------------------------------------------------------------------------- #

def _invite_link(smtp_sink, server, addr):
    mail = smtp_sink.mail_to(addr)
    return mail, _link(mail.text, server, "invite")


def test_step29_invite_registers_a_user_in_the_namespace_and_groups(api, http, server, make_namespace, smtp_sink):
    ns = make_namespace(UsernamePolicy.EIGHT_NUMBERS)
    staff = api.group_service.create(Group({"name": "staff", "nsCode": ns.code}))
    addr = _address("new.person")
    assert api.user_service.invite(Invite(addr, ns.code, "staff", "Join us", "Hello!", "en")) is None

    mail, link = _invite_link(smtp_sink, server, addr)
    assert mail.subject == "Join us"
    assert mail.text.startswith("Hello!")
    assert link in mail.html

    form = _page(requests.get(link), 200)
    assert "<form" in form and 'name="password"' in form and 'name="password2"' in form
    assert addr in form
    assert 'name="username"' not in form  # EIGHT_NUMBERS makes the username

    # A weak password: the form again, naming the rules broken; nothing is created.
    weak = _page(requests.post(link, data={"password": "a", "password2": "a"}), 400)
    assert "<form" in weak and "at least" in weak.lower()
    differ = _page(requests.post(link, data={"password": "Kq7-Invite-Zr4w", "password2": "Kq7-Invite-Zr4x"}), 400)
    assert "differ" in differ
    assert list_all(api.user_service.get_all, eq("nsCode", ns.code)) == []

    password = remember_secret("Kq7-Invite-Zr4w")
    done = _page(requests.post(link, data={"password": password, "password2": password}), 200)
    assert password not in done
    users = list_all(api.user_service.get_all, eq("nsCode", ns.code))
    assert len(users) == 1
    user = users[0]
    assert [e.address for e in user.emails] == [addr]
    assert user.emails[0].verified is True
    assert http.get(f"user/{user.id}").json()["emails"][0]["verifiedBy"] == "INVITE"
    assert user.memberOf == [staff.id]
    assert re.fullmatch(r"\d{8}", user.username)
    assert user.username in done
    assert user.locale == "en"

    # The invitation is spent.
    assert "already" in _page(requests.get(link), 410)
    _page(requests.post(link, data={"password": password, "password2": password}), 410)
    assert len(list_all(api.user_service.get_all, eq("nsCode", ns.code))) == 1


def test_invite_to_a_manual_namespace_asks_for_a_username(api, http, server, make_namespace, smtp_sink):
    ns = make_namespace(UsernamePolicy.MANUAL)
    group = api.group_service.create(Group({"name": "volunteers", "nsCode": ns.code}))
    addrs = [_address("one"), _address("two")]
    resp = http.post("invite/user", json={"emails": addrs, "nsCode": ns.code, "groups": [group.id], "locale": "fi"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["invited"] == addrs

    mail, link = _invite_link(smtp_sink, server, addrs[0])
    assert "Hei" in mail.text  # Finnish default text
    form = _page(requests.get(link), 200)
    assert 'name="username"' in form and 'lang="fi"' in form

    password = remember_secret("Lp3-Manual-Xv8q")
    _page(requests.post(link, data={"password": password, "password2": password}), 400)
    name = unique_code("member")
    _page(requests.post(link, data={"username": name, "password": password, "password2": password}), 200)
    users = list_all(api.user_service.get_all, eq("nsCode", ns.code))
    assert [u.username for u in users] == [name]
    assert users[0].memberOf == [group.id]

    # The second address has its own link; a taken username is refused with the form.
    _, link2 = _invite_link(smtp_sink, server, addrs[1])
    taken = _page(requests.post(link2, data={"username": name, "password": password, "password2": password}), 400)
    assert "taken" in taken and f'value="{name}"' in taken
    assert password not in taken


# --------------------------------------------------------------------------- #
# Bad input: a clear 4xx, and no message
# --------------------------------------------------------------------------- #

def test_bad_requests_are_refused_and_send_nothing(api, http, make_namespace, run_cli):
    mobile = _mobile()
    ns = make_namespace()
    addr, stranger = _address("owner"), _address("stranger")
    u = _user(api, ns, emails=[addr], mobiles=[mobile])
    bare = _user(api, ns)
    missing = "000000000000000000000000"
    targets = (addr, stranger, "not-an-address", mobile, "+358409999999")
    before = {to: len(_outbox(run_cli, to)) for to in targets}

    # Unknown user: 404 (and a wrong code for the check).
    expect_error(404, api.user_service.verify_email, missing, addr)
    expect_error(404, api.user_service.verify_sms_code, missing, mobile)
    expect_error(404, api.user_service.verify_sms_link, missing, mobile)
    assert api.user_service.verify_sms_code_check(missing, "123456") is False

    # Not the user's address or number: 400.
    expect_error(400, api.user_service.verify_email, u.id, stranger)
    expect_error(400, api.user_service.verify_sms_code, u.id, "+358409999999")
    expect_error(400, api.user_service.verify_sms_link, u.id, "+358409999999")
    # Nothing to verify: 400.
    expect_error(400, api.user_service.verify_email, bare.id)
    expect_error(400, api.user_service.verify_sms_code, bare.id)
    # Bad options.
    expect_error(400, api.user_service.verify_email, u.id, addr, "javascript:alert(1)")
    expect_error(400, api.user_service.verify_email, u.id, addr, RETURN_URL, 0)
    # A template that is not there, like a namespace that is not, is a 404.
    expect_error(404, api.user_service.verify_email, u.id, addr, None, 7, "no-such-template")
    for path in (f"user/{u.id}/email/verify", f"user/{u.id}/sms/verify/sendLink", "invite/user"):
        resp = http.post(path, data="{not json", headers={"Content-Type": "application/json"})
        assert resp.status_code == 400, (path, resp.status_code, resp.text)
        assert "errorMessage" in resp.json()
    resp = http.post(f"user/{u.id}/email/verify", json={"expirationDays": "soon"})
    assert resp.status_code == 400

    # Invitations: unknown namespace or group, bad address, bad locale.
    expect_error(400, api.user_service.invite, Invite(stranger, unique_code("nons"), [], locale="en"))
    expect_error(400, api.user_service.invite, Invite(stranger, ns.code, "no-such-group", locale="en"))
    expect_error(400, api.user_service.invite, Invite("not-an-address", ns.code, [], locale="en"))
    expect_error(400, api.user_service.invite, Invite(stranger, ns.code, [], locale="de"))
    resp = http.post("invite/user", json={"emails": [], "nsCode": ns.code})
    assert resp.status_code == 400

    for to in targets:
        assert len(_outbox(run_cli, to)) == before[to], f"a message to {to} was produced"


def test_verification_needs_account_modify_and_invites_account_create(server, create_client, make_namespace, api):
    mobile = _mobile()
    ns = make_namespace()
    u = _user(api, ns, emails=[_address()], mobiles=[mobile])
    cid, secret = create_client(permissions=["ACCOUNT_VIEW"])
    viewer = RawApi(server.url, (cid, secret))
    for path in (f"user/{u.id}/email/verify", f"user/{u.id}/sms/verify/send", f"user/{u.id}/sms/verify/check/123456",
                 f"user/{u.id}/sms/verify/sendLink"):
        resp = viewer.post(path, json={})
        assert resp.status_code == 403 and "ACCOUNT_MODIFY" in resp.json()["errorMessage"], (path, resp.text)
    resp = viewer.post("invite/user", json={"emails": [_address()], "nsCode": ns.code, "groups": []})
    assert resp.status_code == 403 and "ACCOUNT_CREATE" in resp.json()["errorMessage"]


# --------------------------------------------------------------------------- #
# Secrets stay out of the log
# --------------------------------------------------------------------------- #

def test_zz_codes_and_tokens_are_not_in_the_server_log(server):
    assert SEEN_SECRETS, "the tests above saw no code or token"
    with server._cond:
        lines = [t for _, t in server.lines]
    leaks = [line[:200] for line in lines for s in SEEN_SECRETS if s in line]
    assert not leaks, leaks[:10]


def test_zz_codes_and_tokens_are_not_in_a_debug_log():
    """The same against an own server logging at debug level (request spans included),
    reading the secrets from the outbox (no gateway configured)."""
    mobile = _mobile()
    import json
    data_dir = tempfile.mkdtemp(prefix="portti-sdk-verify-")
    srv = PorttiServer(portti_bin(), data_dir)
    srv.env["RUST_LOG"] = "debug"
    srv.start()
    code = unique_code("dbg")
    secrets = []
    try:
        api = make_api(srv, srv.bootstrap_id, srv.bootstrap_secret)
        http = RawApi(srv.url, (srv.bootstrap_id, srv.bootstrap_secret))
        assert http.post("namespace", json={"code": code, "name": "debug"}).status_code == 201
        addr = _address("dbg")
        u = api.user_service.create(User({"nsCode": code, "emails": [{"address": addr}],
                                          "mobiles": [{"number": mobile}]}))
        api.user_service.verify_email(u.id, addr, RETURN_URL)
        api.user_service.verify_sms_code(u.id, mobile)
        api.user_service.invite(Invite(addr, code, [], locale="en"))
        # (On PostgreSQL this server shares the suite's database: read only its own messages.)
        out = "".join(srv.run_cli("outbox", "list", "--to", to, "--json").stdout for to in (addr, mobile))
        texts = [json.loads(line).get("text") or "" for line in out.splitlines() if line.strip()]
        links = [m for t in texts for m in re.findall(re.escape(srv.url) + r"/[a-z/]+/" + TOKEN, t)]
        assert len(links) == 2, texts
        codes = [c for t in texts for c in re.findall(r"\b\d{6}\b", t)]
        assert len(codes) == 1, texts
        for link in links:
            assert requests.get(link, allow_redirects=False).status_code in (200, 303)
        assert api.user_service.verify_sms_code_check(u.id, codes[0]) is True
        secrets = [link.rsplit("/", 1)[1] for link in links] + codes
        time.sleep(0.5)
    finally:
        try:
            purge_namespace(make_api(srv, srv.bootstrap_id, srv.bootstrap_secret), code)
        finally:
            srv.stop()
    with srv._cond:
        lines = [t for _, t in srv.lines]
    assert any("/verify/email/" in line for line in lines), "the debug log shows no request spans"
    leaks = [line[:200] for line in lines for s in secrets if s in line]
    assert not leaks, leaks[:10]
    shutil.rmtree(data_dir, ignore_errors=True)
