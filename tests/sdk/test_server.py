"""Server lifecycle (API.md part 0): bootstrap client, durability across restarts
and crashes, graceful shutdown. Each test runs its own short-lived server."""

import shutil
import signal
import tempfile

import pytest

from trivoreid.models.namespace import Namespace
from trivoreid.models.user import User

from conftest import PorttiServer, eq, expect_error, make_api, portti_bin, unique_code


@pytest.fixture
def own_dir():
    path = tempfile.mkdtemp(prefix="portti-sdk-own-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _start(data_dir, client_id=None, secret=None):
    srv = PorttiServer(portti_bin(), data_dir)
    if client_id:
        srv.bootstrap_id = client_id
        srv.env["PORTTI_BOOTSTRAP_CLIENT_ID"] = client_id
    if secret:
        srv.bootstrap_secret = secret
        srv.env["PORTTI_BOOTSTRAP_CLIENT_SECRET"] = secret
    srv.start()
    return srv


def test_data_survives_restart_and_bootstrap_secret_rotates(own_dir):
    srv = _start(own_dir)
    cid, old_secret = srv.bootstrap_id, srv.bootstrap_secret
    try:
        api = make_api(srv, cid, old_secret)
        code = unique_code("dur")
        api.namespace_service.create(Namespace({"code": code, "name": "Durable"}))
        user = api.user_service.create(User({"nsCode": code, "nickName": "kept"}))
    finally:
        assert srv.stop() == 0, srv.log_text(limit=50)

    srv2 = _start(own_dir, client_id=cid, secret=old_secret + "-rotated")
    try:
        api2 = make_api(srv2, cid, srv2.bootstrap_secret)
        assert api2.user_service.get(user.id).nickName == "kept"
        assert api2.namespace_service.get(code).name == "Durable"
        expect_error(401, make_api(srv2, cid, old_secret).user_service.get, user.id)
    finally:
        assert srv2.stop() == 0, srv2.log_text(limit=50)


def test_acknowledged_writes_survive_sigkill(own_dir):
    srv = _start(own_dir)
    try:
        api = make_api(srv, srv.bootstrap_id, srv.bootstrap_secret)
        code = unique_code("kill")
        api.namespace_service.create(Namespace({"code": code, "name": "Crash"}))
        ids = [api.user_service.create(User({"nsCode": code})).id for _ in range(5)]
    finally:
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(10)

    srv2 = _start(own_dir, client_id=srv.bootstrap_id, secret=srv.bootstrap_secret)
    try:
        api2 = make_api(srv2, srv2.bootstrap_id, srv2.bootstrap_secret)
        page = api2.user_service.get_all(eq("nsCode", code))
        assert sorted(u.id for u in page.resources) == sorted(ids)
    finally:
        assert srv2.stop() == 0, srv2.log_text(limit=50)
