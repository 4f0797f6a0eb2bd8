"""Secrets never leave the server (DESIGN.md: passwords are never logged or
returned). Runs last in the session (file name): the server log, kept by the
conftest from the start, must hold none of the passwords the suite sent and no
`$argon2` hash; the conftest's request hook records every response that carried
a `password` key, a sent password or `$argon2`."""

import shutil
import tempfile

from trivoreid.models.namespace import Namespace
from trivoreid.models.user import NamespaceMigrationOptions, User

from conftest import (RESPONSE_LEAKS, SENT_SECRETS, PorttiServer, RawApi, make_api, portti_bin,
                      purge_namespace, remember_secret, set_policy, unique_code)

# Passwords the older test modules send with the SDK's create (kept here so that
# the check covers them also when the request hook could not see them).
KNOWN = ["Xy7-pLm2-qR9z", "Pw9xKq2mZr7Lt4B", "Cl4mpTest9Pass"]


def _password_paths(api, http, tag):
    """Send distinctive passwords down every path a password travels: create (SDK and
    raw, accepted and refused), change (accepted, refused, history), migration."""
    a, b = unique_code("seca"), unique_code("secb")
    before = set(SENT_SECRETS)
    api.namespace_service.create(Namespace({"code": a, "name": "secrets"}))
    api.namespace_service.create(Namespace({"code": b, "name": "secrets 2"}))
    try:
        set_policy(http, a, pwHistorySaved=3)
        first = remember_secret(f"Sx9-Create-Pq7wZ{tag}")
        u = api.user_service.create(User({"nsCode": a}), password=first)
        api.user_service.change_password(u.id, remember_secret(f"Sx9-Change-Mv4kR{tag}"))
        api.user_service.change_password(u.id, first)  # refused: history
        api.user_service.change_password(u.id, remember_secret(f"Sx9-abcdefghij-12{tag}"))  # refused: sequence
        http.post("user", json={"nsCode": a, "password": remember_secret(f"Sx9#s{tag}")})  # refused: short
        http.post("user", json={"nsCode": a, "password": remember_secret(f"Sx9-RawCreate-Kd8{tag}")})
        http.put(f"user/{u.id}/password", json={"newPassword": remember_secret(f"Sx9-Raw-Jt3nQ{tag}")})
        api.user_service.migrate_namespace(u.id, NamespaceMigrationOptions(
            {"targetNsCode": b, "userPassword": remember_secret(f"Sx9-Migrate-Hw2xL{tag}")}))
        refused = http.post(f"user/{u.id}/migratenamespace", json={
            "targetNsCode": a, "userPassword": remember_secret(f"Sx9#m{tag}")})  # refused: short
        assert refused.status_code == 400, refused.text
    finally:
        purge_namespace(api, a)
        purge_namespace(api, b)
    return set(SENT_SECRETS) - before


def test_password_operations_for_the_log_check(api, http):
    """So that the checks below are meaningful even when this module runs alone."""
    _password_paths(api, http, "a")


def _log_leaks(lines, secrets):
    leaks = []
    for i, line in enumerate(lines):
        if "$argon2" in line:
            leaks.append(f"line {i}: an argon2 hash: {line[:200]}")
        for s in secrets:
            if s in line:
                leaks.append(f"line {i}: the password {s!r}: {line[:200]}")
    return leaks


def test_log_holds_no_password_and_no_hash(server):
    with server._cond:
        lines = [t for _, t in server.lines]
    assert lines, "the conftest captured no server log"
    secrets = set(SENT_SECRETS) | set(KNOWN)
    assert "Sx9-Create-Pq7wZa" in secrets
    leaks = _log_leaks(lines, secrets)
    assert not leaks, "\n".join(leaks[:20])


def test_debug_log_holds_no_password_and_no_hash():
    """The same paths against an own server logging at debug level."""
    data_dir = tempfile.mkdtemp(prefix="portti-sdk-secrets-")
    srv = PorttiServer(portti_bin(), data_dir)
    srv.env["RUST_LOG"] = "debug"
    srv.start()
    try:
        api = make_api(srv, srv.bootstrap_id, srv.bootstrap_secret)
        http = RawApi(srv.url, (srv.bootstrap_id, srv.bootstrap_secret))
        used = _password_paths(api, http, "d")
    finally:
        rc = srv.stop()
    try:
        with srv._cond:
            lines = [t for _, t in srv.lines]
        assert len(lines) > 3, "a debug-level server logged nothing"
        assert len(used) >= 8, used
        secrets = used | {srv.bootstrap_secret}
        leaks = _log_leaks(lines, secrets)
        assert not leaks, "\n".join(leaks[:20])
        assert rc == 0
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_no_response_carried_a_password():
    assert not RESPONSE_LEAKS, "\n".join(RESPONSE_LEAKS[:20])
