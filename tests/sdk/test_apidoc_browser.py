"""/apidoc renders in a real browser with no network: headless Chromium prints the DOM
after scripts ran, and every documented endpoint is on the page.

Chromium comes from Debian's `chromium` package (.ci/run installs it). Without it the test
is skipped locally, and fails under CI, where it must run.
"""

import os
import shutil
import subprocess
import tempfile

import pytest
import requests

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _browser_dom(url):
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120,
        )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_apidoc_renders_offline_in_chromium(server, base_url):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    spec = requests.get(f"{base_url}/apidoc/openapi.json", timeout=30).json()
    dom = _browser_dom(f"{base_url}/apidoc")
    assert "<h1" in dom and "Portti" in dom
    for path, ops in spec["paths"].items():
        assert path in dom, f"{path} is not on the rendered page"
        for method in ops:
            assert f"op-{ops[method]['operationId']}" in dom
    # The filter box is revealed by the page's inline script: proof that the page ran.
    start = dom.index('<input id="filter"')
    assert "hidden" not in dom[start:dom.index(">", start)], "the inline script did not run"
    for needle in ("http://", "https://"):
        for line in dom.splitlines():
            if needle in line and "<script" in line and "src=" in line:
                pytest.fail(f"the page loads a remote script: {line}")
