"""End-to-end tests: the real server (migrated, demo district loaded) and headless Chromium.

The server runs in its own process on its own SQLite database in a temporary
directory, exactly as `make demo` would start it.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    var = tempfile.mkdtemp(prefix="linli-e2e-")
    env = {**os.environ, "DEBUG": "1", "LINLI_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "linli.settings"}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "-m", "linli.manage"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "setup_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    # a small population with its grid work (no cases: the case tests count their own)
    seed = [*manage, "seed_demo", "--residents", "1500", "--cases", "0"]
    subprocess.run(seed, env=env, check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    proc = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=1)  # noqa: S310 - our own server
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def browser():
    chromium = os.environ.get("LINLI_CHROMIUM")
    if not chromium:
        pytest.skip("no Chromium (set LINLI_CHROMIUM; make test finds /usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def login(page, server_url):
    def do(username, password="linli-demo-2026"):  # noqa: S107 - the printed demo password
        page.goto(server_url + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        page.wait_for_load_state()
        return page

    return do
