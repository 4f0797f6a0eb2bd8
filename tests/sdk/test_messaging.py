"""Sending on request (E1-E3, S1-S3) and email templates (T1-T3) through the real SDK.

Contract: management-v1.md sections 1.4, 4.4, 4.5, 4.6, 5.18, 5.19 and 5.21. What the
server queued is read back with `portti outbox list --json` (API.md part 0); a few checks
follow a mail all the way to the SMTP sink.
"""

import base64
import json
import uuid

import pytest

from conftest import MAIL_FROM, RawApi, eq, expect_error, make_api, unique_code
from trivoreid.models.email import Email
from trivoreid.models.email_template import SendMessageOptions
from trivoreid.models.groups import Group
from trivoreid.models.sms import SMSMessage
from trivoreid.models.user import User

SEND_PERMISSIONS = ["ACCOUNT_VIEW", "ACCOUNT_CREATE", "GROUP_VIEW", "EMAIL_SEND", "SMS_SEND",
                    "EMAIL_TEMPLATE_VIEW", "EMAIL_TEMPLATE_MODIFY"]


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #

def addr(label="r"):
    """An address unique to this run, so outbox reads see only this test's mail."""
    return f"{label}.{uuid.uuid4().hex[:10]}@example.test"


def outbox(run_cli, to=None, channel=None):
    """Every outbox message (optionally to one recipient / of one channel), oldest first."""
    args = ["outbox", "list", "--json"]
    if to:
        args += ["--to", to]
    if channel:
        args += ["--channel", channel]
    out = run_cli(*args).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def mails_to(run_cli, *addresses):
    """{address: [messages]} for each address."""
    return {a: outbox(run_cli, to=a, channel="email") for a in addresses}


def mail(to=(), cc=(), bcc=(), subject="Hello", text="Plain hello", html="<p>HTML hello</p>",
         from_email=None, attachments=None):
    e = Email()
    e.construct_email(to=list(to), cc=list(cc), bcc=list(bcc), from_email=from_email, subject=subject,
                      html=html, text=text)
    if attachments is not None:
        e.attachments = None  # serialize() puts an empty attachment list in
        e._check_nulls()
        for name, data in attachments:
            e.attachments.add_attachment(name, data)
    return e


def sms(to=None, text="Your parcel has arrived", **extra):
    m = SMSMessage({"to": to, "text": text})
    for k, v in extra.items():
        setattr(m, k, v)
    return m


@pytest.fixture
def sms_namespace(make_namespace):
    """A namespace that allows custom SMS, reading national numbers as Finnish."""
    return make_namespace(smsSettings={"enabled": True, "customEnabled": True,
                                       "defaultOriginator": "Portti", "defaultRegion": "FI"})


def client_api(server, create_client, code, permissions=SEND_PERMISSIONS):
    cid, secret = create_client(namespaces=[code], permissions=permissions, default_namespace=code)
    return make_api(server, cid, secret), RawApi(server.url, (cid, secret))


# --------------------------------------------------------------------------- #
# E1 email/send
# --------------------------------------------------------------------------- #

def test_email_send_queues_one_message_per_address(api, run_cli):
    a, b, c, d = addr("to1"), addr("to2"), addr("cc"), addr("bcc")
    # `a` appears three times (in to, cc and upper-cased in bcc): it gets one mail.
    api.email_service.send(mail(to=[a, b], cc=[c, a], bcc=[d, a.upper()], subject="Quarterly news",
                                text="Numbers are up", html="<h1>Numbers are up</h1>"))
    got = mails_to(run_cli, a, b, c, d)
    for address, messages in got.items():
        assert len(messages) == 1, (address, messages)
        m = messages[0]
        assert m["channel"] == "email" and m["to"].lower() == address.lower()
        assert m["subject"] == "Quarterly news"
        assert m["text"] == "Numbers are up"
        assert m["html"] == "<h1>Numbers are up</h1>"
        assert "from" not in m, "an all-null from means the server's sender"
    assert len({m[0]["id"] for m in got.values()}) == 4


def test_email_send_answers_exactly_200_with_a_json_object(http):
    a = addr()
    body = mail(to=[a]).serialize()
    assert body["from"]["address"] is None  # the SDK sends an all-null sender
    resp = http.post("email/send", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {}


def test_email_send_delivers_sender_bodies_and_attachments(api, run_cli, smtp_sink):
    a = addr("attach")
    data = base64.b64encode(b"col1,col2\n1,2\n").decode()
    api.email_service.send(mail(to=[a], from_email="newsletter@example.test", subject="Report",
                                attachments=[("report.csv", data)]))
    [queued] = outbox(run_cli, to=a)
    assert queued["from"] == "newsletter@example.test"
    got = smtp_sink.mail_to(a)
    assert "newsletter@example.test" in got.sender
    assert got.subject == "Report"
    assert got.text.strip() == "Plain hello"
    assert "HTML hello" in got.html
    assert b"report.csv" in got.raw


def test_email_send_without_from_uses_the_servers_sender(api, smtp_sink):
    a = addr("default-from")
    api.email_service.send(mail(to=[a], html=None, text="text only"))
    got = smtp_sink.mail_to(a)
    assert MAIL_FROM in got.sender
    assert got.text.strip() == "text only"


def test_email_send_with_a_named_sender(http, run_cli):
    a = addr()
    body = mail(to=[a]).serialize()
    body["from"] = {"name": "Portti News", "address": "news@example.test"}
    assert http.post("email/send", json=body).status_code == 200
    [queued] = outbox(run_cli, to=a)
    assert queued["from"] == '"Portti News" <news@example.test>'


@pytest.mark.parametrize("change, says", [
    ({"to": [{"address": "not-an-address"}]}, "not-an-address"),
    ({"cc": [{"address": "a b@example.test"}]}, "a b@example.test"),
    ({"bcc": [{"address": None, "name": "nobody"}]}, "bcc"),
    ({"from": {"address": "bad sender"}}, "bad sender"),
    ({"html": None, "text": None}, "body"),
    ({"html": "  ", "text": ""}, "body"),
    ({"attachments": [{"name": "x.bin", "data": "***not base64***"}]}, "base64"),
    ({"attachments": [{"name": None, "data": "aGk="}]}, "name"),
    ({"subject": "two\nlines"}, "subject"),
])
def test_email_send_refuses_bad_input_and_queues_nothing(http, run_cli, change, says):
    good = addr("good")
    body = mail(to=[good]).serialize()
    body.update(change)
    resp = http.post("email/send", json=body)
    assert resp.status_code == 400, resp.text
    assert says in resp.json()["errorMessage"], resp.json()
    assert outbox(run_cli, to=good) == [], "a refused mail must queue nothing, not even for valid addresses"


def test_email_send_needs_a_recipient(api):
    expect_error(400, api.email_service.send, mail())


def test_email_send_needs_the_permission(server, create_client, make_namespace, run_cli):
    ns = make_namespace()
    cid, secret = create_client(namespaces=[ns.code], permissions=["ACCOUNT_VIEW"])
    a = addr()
    err = expect_error(403, make_api(server, cid, secret).email_service.send, mail(to=[a]))
    assert "EMAIL_SEND" in str(err)
    assert outbox(run_cli, to=a) == []


# --------------------------------------------------------------------------- #
# E2 user/{id}/email/send
# --------------------------------------------------------------------------- #

def test_email_to_user_goes_to_the_primary_address_and_to(api, make_namespace, run_cli):
    ns = make_namespace()
    primary, secondary, extra = addr("primary"), addr("secondary"), addr("extra")
    user = api.user_service.create(User({"nsCode": ns.code, "emails": [primary, secondary]}))
    api.email_service.send_to_user(mail(to=[extra], subject="For you"), user.id)
    got = mails_to(run_cli, primary, secondary, extra)
    assert [m["subject"] for m in got[primary]] == ["For you"]
    assert [m["subject"] for m in got[extra]] == ["For you"]
    assert got[secondary] == [], "only the primary (first) address"


def test_email_to_user_refusals(api, server, create_client, make_namespace, run_cli):
    ns, other = make_namespace(), make_namespace()
    a = addr()
    user = api.user_service.create(User({"nsCode": other.code, "emails": [a]}))
    no_mail = api.user_service.create(User({"nsCode": ns.code}))
    expect_error(404, api.email_service.send_to_user, mail(), "000000000000000000000000")
    expect_error(400, api.email_service.send_to_user, mail(), no_mail.id)
    restricted, _ = client_api(server, create_client, ns.code)
    expect_error(404, restricted.email_service.send_to_user, mail(), user.id)
    expect_error(400, api.email_service.send_to_user, mail(to=["broken@"]), user.id)
    assert outbox(run_cli, to=a) == []


# --------------------------------------------------------------------------- #
# E3 group/{id}/email/send
# --------------------------------------------------------------------------- #

def test_email_to_group_reaches_nested_members_once(api, make_namespace, run_cli):
    ns = make_namespace()
    gs = api.group_service
    staff = gs.create(Group({"name": "staff", "nsCode": ns.code}))
    hel = gs.create(Group({"name": "staff-helsinki", "nsCode": ns.code, "memberOf": [staff.id]}))
    kallio = gs.create(Group({"name": "staff-kallio", "nsCode": ns.code, "memberOf": [hel.id]}))
    other = gs.create(Group({"name": "other", "nsCode": ns.code}))
    people = {k: addr(k) for k in ("direct", "nested", "both", "deep", "outsider", "second")}
    us = api.user_service
    us.create(User({"nsCode": ns.code, "emails": [people["direct"], people["second"]], "memberOf": [staff.id]}))
    us.create(User({"nsCode": ns.code, "emails": [people["nested"]], "memberOf": [hel.id]}))
    us.create(User({"nsCode": ns.code, "emails": [people["both"]], "memberOf": [staff.id, hel.id, kallio.id]}))
    us.create(User({"nsCode": ns.code, "emails": [people["deep"]], "memberOf": [kallio.id]}))
    us.create(User({"nsCode": ns.code, "emails": [people["outsider"]], "memberOf": [other.id]}))
    us.create(User({"nsCode": ns.code, "memberOf": [staff.id]}))  # no address: skipped

    api.email_service.send_to_group_members(mail(subject="All hands"), staff.id)
    got = mails_to(run_cli, *people.values())
    for who in ("direct", "nested", "both", "deep"):
        assert [m["subject"] for m in got[people[who]]] == ["All hands"], who
    assert got[people["outsider"]] == []
    assert got[people["second"]] == [], "primary address only"

    # A nested group mails only its own subtree.
    api.email_service.send_to_group_members(mail(subject="Helsinki only"), hel.id)
    got = mails_to(run_cli, *people.values())
    assert [m["subject"] for m in got[people["direct"]]] == ["All hands"]
    for who in ("nested", "both", "deep"):
        assert [m["subject"] for m in got[people[who]]] == ["All hands", "Helsinki only"], who


def test_email_to_group_refusals(api, server, create_client, make_namespace):
    ns, other = make_namespace(), make_namespace()
    g = api.group_service.create(Group({"name": "g", "nsCode": other.code}))
    expect_error(404, api.email_service.send_to_group_members, mail(), "000000000000000000000000")
    restricted, _ = client_api(server, create_client, ns.code)
    expect_error(404, restricted.email_service.send_to_group_members, mail(), g.id)
    expect_error(400, api.email_service.send_to_group_members, mail(html=None, text=None), g.id)


# --------------------------------------------------------------------------- #
# S1-S3 SMS
# --------------------------------------------------------------------------- #

def test_sms_send_normalises_the_number_and_answers_json(server, create_client, sms_namespace, run_cli):
    api, _ = client_api(server, create_client, sms_namespace.code)
    text = "Parcel " + uuid.uuid4().hex[:8]
    resp = api.sms_service.send(sms(to="040 123 4567", text=text, clientRef="ref-1"))
    assert isinstance(resp, dict), resp
    assert resp["status"] == "QUEUED"
    assert resp["to"] == "+358401234567"
    assert resp["toRegion"] == "FI"
    assert resp["messageCount"] == 1
    assert resp["clientRef"] == "ref-1"
    queued = [m for m in outbox(run_cli, to="+358401234567", channel="sms") if m["text"] == text]
    assert len(queued) == 1, queued
    assert queued[0]["id"] == resp["messageId"]
    assert queued[0]["from"] == "Portti", "the namespace's defaultOriginator"


def test_sms_send_with_sender_and_region(server, create_client, sms_namespace, run_cli):
    api, _ = client_api(server, create_client, sms_namespace.code)
    text = "Hej " + uuid.uuid4().hex[:8]
    m = sms(to="070-123 45 67", text=text, toRegion="SE")
    m.fromName = "ACME"
    resp = api.sms_service.send(m)
    assert resp["to"] == "+46701234567" and resp["toRegion"] == "SE"
    [queued] = [q for q in outbox(run_cli, to="+46701234567") if q["text"] == text]
    assert queued["from"] == "ACME"
    long_text = "x" * 161
    assert api.sms_service.send(sms(to="+358401234567", text=long_text))["messageCount"] == 2


def test_sms_is_gated_by_the_namespace(server, create_client, make_namespace, run_cli):
    text = "Gated " + uuid.uuid4().hex[:8]
    off = make_namespace(smsSettings={"enabled": False, "customEnabled": True, "defaultRegion": "FI"})
    api, _ = client_api(server, create_client, off.code)
    err = expect_error(403, api.sms_service.send, sms(to="+358401234567", text=text))
    assert "enabled" in str(err)
    no_custom = make_namespace(smsSettings={"enabled": True, "customEnabled": False, "defaultRegion": "FI"})
    api, _ = client_api(server, create_client, no_custom.code)
    err = expect_error(403, api.sms_service.send, sms(to="+358401234567", text=text))
    assert "customEnabled" in str(err)
    user = api.user_service.create(User({"nsCode": no_custom.code, "mobiles": [{"number": "+358401234567"}]}))
    expect_error(403, api.sms_service.send_to_user, user.id, sms(text=text))
    assert [m for m in outbox(run_cli, channel="sms") if m["text"] == text] == []


def test_sms_to_the_default_namespace_is_off_by_default(api):
    # The bootstrap client's default namespace is `default`, whose SMS is not enabled.
    expect_error(403, api.sms_service.send, sms(to="+358401234567"))


@pytest.mark.parametrize("change, says", [
    ({"to": "12"}, "phone number"),
    ({"to": "0401234567", "toRegion": None, "_no_region": True}, "phone number"),
    ({"to": "not a number"}, "phone number"),
    ({"to": None}, "to"),
    ({"text": None}, "text"),
    ({"text": "   "}, "text"),
    ({"from": "TwelveLetter"}, "sender"),
    ({"from": "bad!"}, "sender"),
    ({"toRegion": "XX"}, "region"),
    ({"messageClass": 7}, "messageClass"),
])
def test_sms_send_refuses_bad_input(server, create_client, make_namespace, run_cli, change, says):
    change = dict(change)
    region = None if change.pop("_no_region", False) else "FI"
    ns = make_namespace(smsSettings={"enabled": True, "customEnabled": True, "defaultRegion": region})
    _, raw = client_api(server, create_client, ns.code)
    text = "Bad " + uuid.uuid4().hex[:8]
    body = sms(to="+358401234567", text=text).serialize()
    if "text" in change and change["text"] is not None:
        text = change["text"]
    body.update(change)
    resp = raw.post("sms/send", json=body)
    assert resp.status_code == 400, resp.text
    assert says in resp.json()["errorMessage"], resp.json()
    assert [m for m in outbox(run_cli, channel="sms") if m["text"] == text] == []


def test_sms_to_user_uses_the_first_mobile(server, create_client, sms_namespace, run_cli):
    api, _ = client_api(server, create_client, sms_namespace.code)
    user = api.user_service.create(User({"nsCode": sms_namespace.code,
                                         "mobiles": [{"number": "+358 50 7654321"}, {"number": "+358401111111"}]}))
    text = "Hi user " + uuid.uuid4().hex[:8]
    resp = api.sms_service.send_to_user(user.id, sms(to="+358409999999", text=text))
    assert resp["to"] == "+358507654321", "the user's first mobile, not the request's to"
    queued = [m for m in outbox(run_cli, channel="sms") if m["text"] == text]
    assert [m["to"] for m in queued] == ["+358507654321"]
    assert queued[0]["id"] == resp["messageId"]

    nobody = api.user_service.create(User({"nsCode": sms_namespace.code}))
    expect_error(400, api.sms_service.send_to_user, nobody.id, sms(text=text))
    expect_error(404, api.sms_service.send_to_user, "000000000000000000000000", sms(text=text))


def test_sms_send_needs_the_permission(server, create_client, sms_namespace):
    cid, secret = create_client(namespaces=[sms_namespace.code], permissions=["ACCOUNT_VIEW"],
                                default_namespace=sms_namespace.code)
    err = expect_error(403, make_api(server, cid, secret).sms_service.send, sms(to="+358401234567"))
    assert "SMS_SEND" in str(err)


def test_sms_regions(api, http):
    regions = api.sms_service.get_supported_regions()
    assert isinstance(regions, list)
    for r in ("FI", "SE", "EE", "NO", "DE", "US"):
        assert r in regions
    assert all(isinstance(r, str) and len(r) == 2 and r.isupper() for r in regions)
    assert regions == sorted(set(regions))
    assert http.get("sms/regions", auth=None).status_code == 401


# --------------------------------------------------------------------------- #
# T1-T3 email templates
# --------------------------------------------------------------------------- #

WELCOME = {
    "name": "welcome",
    "description": "Sent to new members",
    "templateEngine": "MUSTACHE",
    "defaultLocale": "en",
    "defaultTimeZone": "Europe/Helsinki",
    "subjectTemplate": "{{greeting}}, {{name}}!",
    "htmlTemplate": "<p>{{greeting}}, <b>{{name}}</b>. {{{signature}}}</p>{{#vip}}<p>VIP</p>{{/vip}}",
    "textTemplate": "{{greeting}}, {{name}}. Code {{code}}. {{footer}} ({{locale}}, {{timeZone}})",
    "localeProperties": {
        "en": {"greeting": "Welcome", "footer": "See you"},
        "fi": {"greeting": "Tervetuloa", "footer": "Nähdään"},
    },
}


def create_template(raw, namespace_ids, **overrides):
    body = dict(WELCOME, name=unique_code("tpl"), namespaceIds=namespace_ids)
    body.update(overrides)
    resp = raw.post("emailtemplate", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_template_crud_and_sdk_reads(api, http, make_namespace):
    ns = make_namespace()
    created = create_template(http, [ns.code])
    tid = created["id"]
    assert created["namespaceIds"] == [ns.id], "codes resolve to namespace ids"
    assert created["templateEngine"] == "MUSTACHE"

    t = api.email_templates_service.get(tid)
    assert t.id == tid and t.name == created["name"]
    assert t.subjectTemplate == WELCOME["subjectTemplate"]
    assert t.htmlTemplate == WELCOME["htmlTemplate"]
    assert t.localeProperties == WELCOME["localeProperties"]
    assert t.namespaceIds == [ns.id]
    assert t.defaultLocale == "en" and t.defaultTimeZone == "Europe/Helsinki"

    page = api.email_templates_service.get_all(eq("name", created["name"]))
    assert page.totalResults == 1 and page.resources[0].id == tid

    resp = http.put(f"emailtemplate/{tid}", json={"description": "Changed", "subjectTemplate": "Hi {{name}}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["description"] == "Changed"
    assert resp.json()["htmlTemplate"] == WELCOME["htmlTemplate"], "absent keys are kept"
    assert api.email_templates_service.get(tid).subjectTemplate == "Hi {{name}}"

    assert http.delete(f"emailtemplate/{tid}").status_code == 204
    expect_error(404, api.email_templates_service.get, tid)
    assert api.email_templates_service.get_all(eq("id", tid)).totalResults == 0
    assert http.delete(f"emailtemplate/{tid}").status_code == 404


def test_template_list_paging_sorting_and_namespaces(api, http, server, create_client, make_namespace):
    ns, other = make_namespace(), make_namespace()
    tag = unique_code("sort")
    names = [f"{tag}-b", f"{tag}-a", f"{tag}-c"]
    mine = [create_template(http, [ns.code], name=n, description=tag) for n in names]
    theirs = create_template(http, [other.code], description=tag)
    shared = create_template(http, [ns.code, other.code], name=f"{tag}-z", description=tag)

    flt = eq("description", tag)
    page = api.email_templates_service.get_all(flt, sortBy="name", ascending=True)
    assert page.totalResults == 5
    assert [t.name for t in page.resources][:3] == sorted(names)
    desc = api.email_templates_service.get_all(flt, sortBy="name", ascending=False)
    assert [t.name for t in desc.resources] == [t.name for t in page.resources][::-1]
    second = api.email_templates_service.get_all(flt, start_index=1, count=2, sortBy="name", ascending=True)
    assert second.totalResults == 5 and [t.name for t in second.resources] == [t.name for t in page.resources][1:3]

    # A client of one namespace sees only the templates serving it.
    restricted, raw = client_api(server, create_client, ns.code)
    seen = restricted.email_templates_service.get_all(flt)
    assert {t.id for t in seen.resources} == {t["id"] for t in mine} | {shared["id"]}
    assert seen.totalResults == 4
    expect_error(404, restricted.email_templates_service.get, theirs["id"])
    assert raw.put(f"emailtemplate/{theirs['id']}", json={"description": "x"}).status_code == 404
    # It may not delete a template that also serves a namespace it cannot reach.
    assert raw.delete(f"emailtemplate/{shared['id']}").status_code == 403
    # Narrowing namespaceIds keeps the namespaces beyond its reach.
    resp = raw.put(f"emailtemplate/{shared['id']}", json={"namespaceIds": [ns.code]})
    assert resp.status_code == 200, resp.text
    assert set(resp.json()["namespaceIds"]) == {ns.id, other.id}
    # What it creates without namespaceIds serves its default namespace.
    own = create_template(raw, None)
    assert own["namespaceIds"] == [ns.id]
    assert raw.post("emailtemplate", json=dict(WELCOME, namespaceIds=[other.code])).status_code == 404


@pytest.mark.parametrize("change, says", [
    ({"templateEngine": "FREEMARKER"}, "FREEMARKER"),
    ({"htmlTemplate": "<p>{{#open}}never closed</p>"}, "htmlTemplate"),
    ({"textTemplate": "Hi {{name"}, "textTemplate"),
    ({"subjectTemplate": "{{> partial}}"}, "partials"),
    ({"htmlTemplate": None, "textTemplate": None}, "htmlTemplate or a textTemplate"),
    ({"name": None}, "name"),
    ({"localeProperties": {"en": {"a.b": "x"}}}, "a.b"),
    ({"namespaceIds": ["no-such-namespace"]}, "no-such-namespace"),
])
def test_template_create_refuses_bad_templates(http, change, says):
    body = dict(WELCOME)
    body.update(change)
    resp = http.post("emailtemplate", json=body)
    assert resp.status_code in (400, 404), resp.text
    assert resp.status_code == (404 if "namespace" in says else 400), resp.text
    assert says in resp.json()["errorMessage"], resp.json()


def test_template_send_renders_per_recipient(api, http, make_namespace, run_cli):
    ns = make_namespace()
    t = create_template(http, [ns.code])
    user_addr, plain_addr, fi_addr = addr("tuser"), addr("tplain"), addr("tfi")
    user = api.user_service.create(User({"nsCode": ns.code, "emails": [user_addr], "locale": "fi",
                                         "timeZone": "Europe/Stockholm",
                                         "name": {"givenName": "Ulla", "familyName": "User"}}))
    options = SendMessageOptions({
        "recipients": [
            # Address given, the top-level locale applies, and its own properties win.
            {"emailAddress": plain_addr, "properties": {"name": "<Ann & Bob>", "vip": True}},
            # A user: its address, locale and time zone.
            {"userId": user.id, "properties": {"name": "{{user.name.givenName}}"}},
            # Its own locale wins over the top-level one; a language tag matches `fi`.
            {"emailAddress": fi_addr, "preferredLocale": "fi-FI", "preferredTimezone": "UTC",
             "properties": {"name": "Fiia"}},
        ],
        "preferredLocale": "en",
        "properties": {"name": "Everyone", "code": "42", "signature": "<i>The team</i>"},
    })
    assert options.serialize()["preferredTimezone"] is None  # the SDK's lower-case z
    api.email_templates_service.send(t["id"], options)

    [plain] = outbox(run_cli, to=plain_addr)
    assert plain["subject"] == "Welcome, <Ann & Bob>!"
    assert plain["html"] == "<p>Welcome, <b>&lt;Ann &amp; Bob&gt;</b>. <i>The team</i></p><p>VIP</p>"
    assert plain["text"] == "Welcome, <Ann & Bob>. Code 42. See you (en, Europe/Helsinki)"

    [for_user] = outbox(run_cli, to=user_addr)
    assert for_user["subject"] == "Tervetuloa, {{user.name.givenName}}!", "properties are not templates"
    assert for_user["text"] == ("Tervetuloa, {{user.name.givenName}}. Code 42. Nähdään "
                                "(fi, Europe/Stockholm)")
    assert "<p>VIP</p>" not in for_user["html"]

    [fi] = outbox(run_cli, to=fi_addr)
    assert fi["subject"] == "Tervetuloa, Fiia!"
    assert fi["text"].endswith("(fi-FI, UTC)")


def test_template_can_use_the_recipient_user(api, http, make_namespace, run_cli):
    ns = make_namespace()
    t = create_template(http, [ns.code], subjectTemplate="Hello {{user.name.givenName}}",
                        textTemplate="Your username is {{user.username}}; mail goes to {{emailAddress}}.",
                        htmlTemplate=None)
    a = addr("u")
    user = api.user_service.create(User({"nsCode": ns.code, "emails": [a], "name": {"givenName": "Greta"}}))
    api.email_templates_service.send(t["id"], SendMessageOptions({"recipients": [{"userId": user.id}]}))
    [m] = outbox(run_cli, to=a)
    assert m["subject"] == "Hello Greta"
    assert m["text"] == f"Your username is {user.username}; mail goes to {a}."
    assert m["html"] is None


def test_template_send_refusals_queue_nothing(api, http, server, create_client, make_namespace, run_cli):
    ns, other = make_namespace(), make_namespace()
    t = create_template(http, [ns.code])
    good = addr("good")

    def send(options, tid=t["id"], service=api.email_templates_service):
        service.send(tid, SendMessageOptions(options))

    expect_error(404, send, {"recipients": [{"emailAddress": good}]}, tid="000000000000000000000000")
    expect_error(404, send, {"recipients": [{"emailAddress": good}, {"userId": "000000000000000000000000"}]})
    expect_error(400, send, {"recipients": [{"emailAddress": good}, {"emailAddress": "nope"}]})
    expect_error(400, send, {"recipients": [{"emailAddress": good}, {}]})
    expect_error(400, send, {"recipients": []})
    expect_error(400, send, {"recipients": [{"emailAddress": good}], "properties": {"a.b": "x"}})
    expect_error(400, send, {"recipients": [{"emailAddress": good, "properties": {"nested": {"x.y": 1}}}]})
    expect_error(400, send, {"recipients": [{"emailAddress": good, "preferredLocale": "no such"}]})
    # A template serving another namespace, and a user of another namespace, are unknown.
    restricted, _ = client_api(server, create_client, other.code)
    expect_error(404, send, {"recipients": [{"emailAddress": good}]}, service=restricted.email_templates_service)
    user = api.user_service.create(User({"nsCode": ns.code, "emails": [addr()]}))
    theirs = create_template(http, [other.code])
    expect_error(404, send, {"recipients": [{"userId": user.id}]}, tid=theirs["id"],
                 service=restricted.email_templates_service)
    assert outbox(run_cli, to=good) == []


def test_template_endpoints_need_permissions(server, create_client, make_namespace, http):
    ns = make_namespace()
    t = create_template(http, [ns.code])
    cid, secret = create_client(namespaces=[ns.code], permissions=["ACCOUNT_VIEW"])
    api = make_api(server, cid, secret)
    assert "EMAIL_TEMPLATE_VIEW" in str(expect_error(403, api.email_templates_service.get_all))
    assert "EMAIL_TEMPLATE_VIEW" in str(expect_error(403, api.email_templates_service.get, t["id"]))
    err = expect_error(403, api.email_templates_service.send, t["id"],
                       SendMessageOptions({"recipients": [{"emailAddress": addr()}]}))
    assert "EMAIL_SEND" in str(err)
    raw = RawApi(server.url, (cid, secret))
    resp = raw.post("emailtemplate", json=dict(WELCOME, namespaceIds=[ns.code]))
    assert resp.status_code == 403 and "EMAIL_TEMPLATE_MODIFY" in resp.json()["errorMessage"]


def test_template_endpoints_are_documented(http, server):
    import requests
    doc = requests.get(server.url + "/apidoc/openapi.json").json()
    paths = doc["paths"]
    for path, methods in {
        "/api/rest/v1/emailtemplate": {"get", "post"},
        "/api/rest/v1/emailtemplate/{id}": {"get", "put", "delete"},
        "/api/rest/v1/emailtemplate/{id}/send": {"post"},
        "/api/rest/v1/email/send": {"post"},
        "/api/rest/v1/user/{id}/email/send": {"post"},
        "/api/rest/v1/group/{id}/email/send": {"post"},
        "/api/rest/v1/sms/send": {"post"},
        "/api/rest/v1/user/{id}/sms/send": {"post"},
        "/api/rest/v1/sms/regions": {"get"},
    }.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert "201" in paths["/api/rest/v1/emailtemplate"]["post"]["responses"]
    assert "204" in paths["/api/rest/v1/emailtemplate/{id}/send"]["post"]["responses"]
