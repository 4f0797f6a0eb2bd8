"""Shared fixtures of the SDK conformance suite.

The suite starts one `portti serve` per test session (on SQLite in a temporary
directory, or on the database named by PORTTI_TEST_DATABASE_URL) and drives it
through the real `trivoreid` 2.0.10 SDK. Contract: /work/shared/api/management-v1.md
and /work/shared/API.md part 0.
"""

import sys

# Keep the repository clean: no bytecode next to the test modules.
sys.dont_write_bytecode = True

import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from trivoreid.client import TrivoreID
from trivoreid.exceptions import TrivoreIDException
from trivoreid.models.groups import Group
from trivoreid.models.namespace import Namespace
from trivoreid.models.user import User
from trivoreid.utils.criteria import Filter

REPO = Path(__file__).resolve().parents[2]

ALL_PERMISSIONS = [
    "NAMESPACE_VIEW", "NAMESPACE_CREATE", "NAMESPACE_MODIFY", "NAMESPACE_DELETE",
    "ACCOUNT_VIEW", "ACCOUNT_CREATE", "ACCOUNT_MODIFY", "ACCOUNT_DELETE",
    "ACCOUNT_VIEW_PERSONAL_ID",
    "GROUP_VIEW", "GROUP_CREATE", "GROUP_MODIFY", "GROUP_DELETE",
]

READY_TIMEOUT = 60
SHUTDOWN_TIMEOUT = 10
HTTP_TIMEOUT = 60
LISTENING_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --------------------------------------------------------------------------- #
# Configuration
# --------------------------------------------------------------------------- #

def portti_bin():
    """The server binary: $PORTTI_BIN, else <repo>/target/debug/portti."""
    return os.environ.get("PORTTI_BIN") or str(REPO / "target" / "debug" / "portti")


def database_url():
    """The store the server under test uses; None means the default SQLite file
    under --data-dir. The only place that decides the store."""
    return os.environ.get("PORTTI_TEST_DATABASE_URL") or None


def unique_code(prefix="t"):
    """A namespace code (or other name) unique to this run: [a-z0-9]."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _safe_token(n=24):
    # token_urlsafe uses [A-Za-z0-9_-] only.
    return secrets.token_urlsafe(n)


# --------------------------------------------------------------------------- #
# Requests without a timeout (the SDK never sets one) must not hang the suite.
# --------------------------------------------------------------------------- #

_original_request = requests.sessions.Session.request


def _request_with_timeout(self, method, url, **kwargs):
    if kwargs.get("timeout") is None:
        kwargs["timeout"] = HTTP_TIMEOUT
    return _original_request(self, method, url, **kwargs)


requests.sessions.Session.request = _request_with_timeout


# --------------------------------------------------------------------------- #
# The server process
# --------------------------------------------------------------------------- #

class ServerStartError(Exception):
    pass


class PorttiServer:
    """One `portti serve` process and everything it printed."""

    def __init__(self, binary, data_dir):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.bootstrap_id = "sdk-suite-" + uuid.uuid4().hex[:8]
        self.bootstrap_secret = _safe_token()
        self.env = self._environment()
        self.url = None
        self.proc = None
        self.lines = []          # (stream, text) in arrival order
        self._cond = threading.Condition()
        self._threads = []

    def _environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTTI_")}
        env.update({
            "PORTTI_BOOTSTRAP_CLIENT_ID": self.bootstrap_id,
            "PORTTI_BOOTSTRAP_CLIENT_SECRET": self.bootstrap_secret,
            "PORTTI_ARGON2_MEMORY_KIB": "64",
            "PORTTI_ARGON2_ITERATIONS": "1",
            "RUST_LOG": "info",
            "NO_COLOR": "1",
        })
        url = database_url()
        if url:
            env["PORTTI_DATABASE_URL"] = url
        return env

    # -- log capture -------------------------------------------------------- #

    def _drain(self, stream, name):
        for raw in iter(stream.readline, ""):
            with self._cond:
                self.lines.append((name, ANSI_RE.sub("", raw.rstrip("\n"))))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def log_size(self):
        with self._cond:
            return len(self.lines)

    def log_text(self, start=0, limit=400):
        with self._cond:
            chunk = self.lines[start:]
        if len(chunk) > limit:
            chunk = chunk[-limit:]
        return "\n".join(f"[{s}] {t}" for s, t in chunk)

    # -- lifecycle ----------------------------------------------------------- #

    def start(self):
        if not os.path.exists(self.binary):
            raise ServerStartError(f"portti binary not found at {self.binary} (set PORTTI_BIN or run cargo build)")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir],
            env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", bufsize=1,
        )
        for stream, name in ((self.proc.stderr, "stderr"), (self.proc.stdout, "stdout")):
            t = threading.Thread(target=self._drain, args=(stream, name), daemon=True)
            t.start()
            self._threads.append(t)

        deadline = time.monotonic() + READY_TIMEOUT
        with self._cond:
            while True:
                for stream, text in self.lines:
                    m = LISTENING_RE.search(text)
                    if m and stream == "stderr":
                        self.url = m.group(1)
                        break
                if self.url:
                    break
                if self.proc.poll() is not None:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.5))
        if not self.url:
            on_stdout = any(LISTENING_RE.search(t) for s, t in self.lines if s == "stdout")
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait()
            hint = " (the line was printed on stdout, the contract says stderr)" if on_stdout else ""
            raise ServerStartError(
                f"portti serve did not print 'listening on http://127.0.0.1:PORT' on stderr within "
                f"{READY_TIMEOUT}s{hint}; exit code {rc}\n{self.log_text()}")

        resp = requests.get(self.url + "/healthz")
        if resp.status_code != 200 or _json_or_none(resp) != {"status": "ok"}:
            self.stop()
            raise ServerStartError(f"GET /healthz answered {resp.status_code} {resp.text!r}\n{self.log_text()}")

    def stop(self):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        for t in self._threads:
            t.join(2)
        return rc

    # -- admin CLI ----------------------------------------------------------- #

    def run_cli(self, *args, check=True, timeout=60):
        """`portti <args> --data-dir <data dir>` against the running server's store."""
        cmd = [self.binary, *args, "--data-dir", self.data_dir]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited with {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc

    def create_client(self, name=None, namespaces=(), permissions=(), default_namespace=None):
        """`portti client create`; returns (clientId, clientSecret)."""
        args = ["client", "create", "--name", name or unique_code("client")]
        for ns in namespaces:
            args += ["--namespace", ns]
        for perm in permissions:
            args += ["--permission", perm]
        if default_namespace:
            args += ["--default-namespace", default_namespace]
        out = self.run_cli(*args).stdout.strip()
        try:
            obj = json.loads(out)
        except ValueError:
            raise AssertionError(f"`portti client create` printed no JSON object: {out!r}")
        assert isinstance(obj.get("clientId"), str) and obj["clientId"], obj
        assert isinstance(obj.get("clientSecret"), str) and obj["clientSecret"], obj
        return obj["clientId"], obj["clientSecret"]


def _json_or_none(resp):
    try:
        return resp.json()
    except ValueError:
        return None


_SERVER = None


@pytest.fixture(scope="session")
def server(smtp_sink, sms_sink):
    """The running server; stopped with SIGTERM at the end, which must exit 0 within 10 s."""
    global _SERVER
    data_dir = tempfile.mkdtemp(prefix="portti-sdk-")
    srv = PorttiServer(portti_bin(), data_dir)
    srv.env["PORTTI_SMTP_URL"] = smtp_sink.url
    srv.env["PORTTI_MAIL_FROM"] = MAIL_FROM
    srv.env["PORTTI_SMS_WEBHOOK_URL"] = sms_sink.url
    try:
        srv.start()
    except ServerStartError as e:
        pytest.exit(str(e), 2)
    _SERVER = srv
    yield srv
    _SERVER = None
    rc = srv.stop()
    assert rc == 0, (f"portti did not shut down gracefully on SIGTERM within {SHUTDOWN_TIMEOUT}s "
                     f"(exit code {rc})\n{srv.log_text(limit=80)}")
    if rc == 0:
        import shutil
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


def make_api(server, client_id, client_secret):
    """A TrivoreID SDK client in Management API Basic mode."""
    return TrivoreID(path=os.path.join(server.data_dir, "no-such.properties"),
                     server=server.url, client_id=client_id, client_secret=client_secret)


@pytest.fixture(scope="session")
def api(server):
    """SDK client with the bootstrap credentials (every permission, every namespace)."""
    return make_api(server, server.bootstrap_id, server.bootstrap_secret)


@pytest.fixture(scope="session")
def run_cli(server):
    """run_cli(*args) runs the admin CLI against the server's store."""
    return server.run_cli


@pytest.fixture(scope="session")
def create_client(server):
    return server.create_client


class RawApi:
    """Plain HTTP against /api/rest/v1, for the checks the SDK cannot express."""

    def __init__(self, base, auth):
        self.base = base.rstrip("/") + "/api/rest/v1/"
        self.auth = auth
        self.session = requests.Session()

    def request(self, method, path, auth="default", **kw):
        return self.session.request(method, self.base + path.lstrip("/"),
                                    auth=self.auth if auth == "default" else auth, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def http(server):
    return RawApi(server.url, (server.bootstrap_id, server.bootstrap_secret))


# --------------------------------------------------------------------------- #
# Real delivery: an SMTP server and an SMS webhook on loopback, started before the
# server so that it delivers to them (API.md part 0: PORTTI_SMTP_URL, PORTTI_MAIL_FROM,
# PORTTI_SMS_WEBHOOK_URL).
# --------------------------------------------------------------------------- #

MAIL_FROM = "portti@example.test"
DELIVERY_TIMEOUT = 30


def _free_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    """What a sink received, in arrival order; wait_for() blocks until a match arrives."""

    def __init__(self):
        self.items = []
        self._cond = threading.Condition()

    def add(self, item):
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def snapshot(self):
        with self._cond:
            return list(self.items)

    def wait_for(self, match, timeout=DELIVERY_TIMEOUT, after=0):
        """The first item (from index `after` on) for which match(item) is true."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.items[after:]:
                    if match(item):
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"nothing matching arrived within {timeout}s; got {self.items[after:]!r}")
                self._cond.wait(min(remaining, 0.5))


class ReceivedMail:
    """One mail the SMTP sink received: envelope, headers and the text and HTML parts."""

    def __init__(self, mail_from, rcpt_tos, raw):
        import email
        import email.policy
        self.mail_from = mail_from
        self.rcpt_tos = [r.lower() for r in rcpt_tos]
        self.raw = raw
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.subject = str(msg.get("Subject", ""))
        self.sender = str(msg.get("From", ""))
        self.to = str(msg.get("To", ""))
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        self.text = text.get_content() if text is not None else ""
        self.html = html.get_content() if html is not None else ""

    def __repr__(self):
        return f"<mail to {self.rcpt_tos} subject {self.subject!r}>"


class SmtpSink(_Sink):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every mail it receives."""

    def __init__(self):
        super().__init__()
        from aiosmtpd.controller import Controller
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.add(ReceivedMail(envelope.mail_from, envelope.rcpt_tos, envelope.original_content
                                      or envelope.content))
                return "250 OK"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.url = f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def mail_to(self, address, after=0, timeout=DELIVERY_TIMEOUT):
        return self.wait_for(lambda m: address.lower() in m.rcpt_tos, timeout=timeout, after=after)


class SmsSink(_Sink):
    """An HTTP server on 127.0.0.1 that keeps the JSON body of every POST to /sms."""

    def __init__(self):
        super().__init__()
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsed": body.decode("utf-8", "replace")}
                if self.path == "/sms":
                    sink.add(payload)
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def sms_to(self, number, after=0, timeout=DELIVERY_TIMEOUT):
        return self.wait_for(lambda m: m.get("to") == number, timeout=timeout, after=after)


@pytest.fixture(scope="session")
def smtp_sink():
    """The SMTP server the suite's server delivers mail to."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def sms_sink():
    """The SMS webhook the suite's server posts texts to."""
    sink = SmsSink()
    sink.start()
    yield sink
    sink.stop()


# --------------------------------------------------------------------------- #
# SDK helpers
# --------------------------------------------------------------------------- #

class RawFilter:
    """A filter text the SDK's Filter class cannot build (not, operator case, ...).
    The SDK only calls `.generate()` on what it is given, so it still sends it."""

    def __init__(self, text):
        self.text = text

    def generate(self):
        return self.text


def eq(attr, value):
    return Filter(Filter.EQUAL, attr, value)


def and_(a, b):
    return Filter().and_filters(a, b)


def or_(a, b):
    return Filter().or_filters(a, b)


def expect_error(codes, fn, *args, **kwargs):
    """Call fn, expect TrivoreIDException with one of `codes` and a server errorMessage."""
    if isinstance(codes, int):
        codes = (codes,)
    with pytest.raises(TrivoreIDException) as ei:
        fn(*args, **kwargs)
    err = ei.value
    msg = str(err)
    assert err.resporse_code in codes, f"expected HTTP {codes}, got {err.resporse_code}: {msg}"
    assert msg.startswith(f"status code {err.resporse_code}, "), msg
    assert "Unknown error message" not in msg, f"error body lacks errorMessage: {msg}"
    return err


def list_all(page_fn, flt, page_size=500):
    """All resources of a list call, following pages."""
    out, start = [], 0
    while True:
        page = page_fn(flt, start_index=start, count=page_size)
        out.extend(page.resources)
        if not page.resources or len(page.resources) < page_size:
            return out
        start += len(page.resources)


def purge_namespace(api, code):
    """Best-effort removal of a namespace with its users and groups."""
    try:
        for u in list_all(api.user_service.get_all, eq("nsCode", code)):
            try:
                api.user_service.delete(u.id)
            except TrivoreIDException:
                pass
        for g in list_all(api.group_service.get_all, eq("nsCode", code)):
            try:
                api.group_service.delete(g.id)
            except TrivoreIDException:
                pass
        api.namespace_service.delete(code)
    except Exception:
        pass


@pytest.fixture
def make_namespace(api):
    """make_namespace(policy=..., **fields) creates a namespace with a unique code and
    returns the SDK Namespace; everything in it is removed at teardown."""
    created = []

    def factory(policy=None, prefix="ns", **fields):
        data = {"code": unique_code(prefix), "name": "SDK suite", "shortName": "SDK"}
        if policy:
            data["usernamePolicy"] = policy
        data.update(fields)
        ns = api.namespace_service.create(Namespace(data))
        created.append(ns.code)
        return ns

    yield factory
    for code in created:
        purge_namespace(api, code)


def new_user(**fields):
    return User(dict(fields))


def new_group(**fields):
    return Group(dict(fields))


def find_nulls(value, path="$"):
    """JSON paths of every null in a parsed JSON document."""
    found = []
    if value is None:
        found.append(path)
    elif isinstance(value, dict):
        for k, v in value.items():
            found.extend(find_nulls(v, f"{path}.{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(find_nulls(v, f"{path}[{i}]"))
    return found


ISO_INSTANT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$")


# --------------------------------------------------------------------------- #
# Reporting: server log on failure, incremental scenarios
# --------------------------------------------------------------------------- #

_LOG_START = pytest.StashKey[int]()


def pytest_runtest_setup(item):
    if _SERVER is not None:
        item.stash[_LOG_START] = _SERVER.log_size()
    if item.get_closest_marker("incremental") is not None:
        failed = getattr(item.parent, "_incremental_failed", None)
        if failed is not None:
            pytest.xfail(f"previous step failed: {failed}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _SERVER is not None:
        start = item.stash.get(_LOG_START, 0)
        rep.sections.append(("portti log during this test", _SERVER.log_text(start, limit=200)))
    if (call.excinfo is not None and item.get_closest_marker("incremental") is not None
            and not call.excinfo.errisinstance(pytest.xfail.Exception)):
        item.parent._incremental_failed = item.name


# --------------------------------------------------------------------------- #
# Helpers of the user-service, access-right and migration tests
# --------------------------------------------------------------------------- #

# Every permission of the catalogue (ALL_PERMISSIONS plus the ones the user
# sub-resources and access rights need).
EVERY_PERMISSION = ALL_PERMISSIONS + [
    "ACCOUNT_PASSWORD_CHANGE", "ACCOUNT_STRONG_IDENTIFY", "ACCOUNT_MIGRATE_NAMESPACE",
    "ACCESS_RIGHT_VIEW", "ACCESS_RIGHT_MODIFY",
    "EMAIL_SEND", "SMS_SEND", "EMAIL_TEMPLATE_VIEW", "EMAIL_TEMPLATE_MODIFY",
]


def set_policy(http, code, **keys):
    """Raw `PUT namespace/{code}` carrying only `defaultGroupPolicy` with `keys`
    (the SDK never sends the policy); returns the stored policy as answered."""
    resp = http.put(f"namespace/{code}", json={"defaultGroupPolicy": keys})
    assert resp.status_code == 200, f"PUT namespace/{code} policy {keys}: {resp.status_code} {resp.text[:300]}"
    policy = resp.json().get("defaultGroupPolicy")
    assert isinstance(policy, dict), resp.text[:300]
    for k, v in keys.items():
        assert policy.get(k) == v, f"policy {k}: sent {v!r}, answered {policy.get(k)!r}"
    return policy


# Secrets the suite sent (passwords in request bodies) and what responses leaked.
# test_zz_secrets.py checks them against the server log and the responses.
SENT_SECRETS = set()
RESPONSE_LEAKS = []
_SECRET_KEYS = ("password", "newPassword", "userPassword")


def remember_secret(value):
    """Register a distinctive password so the log check looks for it; returns it."""
    SENT_SECRETS.add(value)
    return value


def _distinctive(value):
    return (isinstance(value, str) and len(value) >= 8 and any(c.isalpha() for c in value)
            and any(not c.isalpha() for c in value))


def _password_keys(value, path="$"):
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k.lower() in ("password", "newpassword", "userpassword", "passwordhash"):
                found.append(f"{path}.{k}")
            found.extend(_password_keys(v, f"{path}.{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(_password_keys(v, f"{path}[{i}]"))
    return found


_request_before_scan = requests.sessions.Session.request


def _request_scanning(self, method, url, **kwargs):
    body = kwargs.get("json")
    if isinstance(body, dict):
        for key in _SECRET_KEYS:
            if _distinctive(body.get(key)):
                SENT_SECRETS.add(body[key])
    resp = _request_before_scan(self, method, url, **kwargs)
    try:
        content = resp.content or b""
        text = content.decode("utf-8", "replace")
        if "$argon2" in text:
            RESPONSE_LEAKS.append(f"{method} {url}: contains $argon2")
        for s in list(SENT_SECRETS):
            if s in text:
                RESPONSE_LEAKS.append(f"{method} {url}: contains a password the suite sent")
        if "assword" in text and "/apidoc" not in url:  # the API manual documents the field
            try:
                keys = _password_keys(json.loads(text))
            except ValueError:
                keys = []
            if keys:
                RESPONSE_LEAKS.append(f"{method} {url}: password keys {keys}")
    except Exception as e:  # never break a request because of the scan
        RESPONSE_LEAKS.append(f"{method} {url}: scan failed: {e!r}")
    return resp


requests.sessions.Session.request = _request_scanning
