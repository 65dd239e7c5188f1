"""Browser tests: the demo shop and the widget in Debian's Chromium, driven by Playwright.

A real server (uvicorn) runs in a thread on a free port with the demo workspace; every
test gets fresh browser contexts. Chromium is required: CI installs it (.ci/run).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.demo import DEMO_PASSWORD, prepare, with_demo_mail
from floorwalker.store.migrate import upgrade

CHROMIUM = "/usr/bin/chromium"
# A loaded 2-core machine (CI, benchmarks alongside) can take more than Playwright's
# default 5 s to show what a quiet one shows at once.
expect.set_options(timeout=10_000)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
        # A customer's page fulfilled by the test has no address, so Chromium would treat
        # it as public and refuse its requests to our loopback server. In production both
        # are public hosts and the check does not apply.
        "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,"
        "PrivateNetworkAccessRespectPreflightResults"]


@dataclass
class Live:
    """A running server with the demo workspace."""

    base: str
    write_key: str
    token: str
    server: uvicorn.Server

    def api(self) -> httpx.Client:
        """An admin API client."""
        return httpx.Client(base_url=self.base,
                            headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    def basic(self) -> dict[str, str]:
        """Write-key auth."""
        return {"Authorization": "Basic " + base64.b64encode(
            f"{self.write_key}:".encode()).decode()}

    def staff(self, *emails: str, status: str = "online") -> None:
        """Put demo agents online (as the console would)."""
        with self.api() as api:
            agents = {a["email"]: a["id"] for a in api.get("/api/agents").json()}
            for email in emails:
                r = api.put(f"/api/agents/{agents[email]}/presence", json={"status": status})
                assert r.status_code == 200, r.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """`floorwalker demo`, in a thread: fresh database, demo workspace, shop at /demo/."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    port = _free_port()
    settings = Settings(database_url=url, port=port, demo=True, log_json=False,
                        rate_limit_per_ip=0, rate_limit_per_key=0, log_level="warning")
    # Playwright's sync API keeps an event loop in this thread: set up in another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, url).result()
        # Without the generated month: the tests count what they do themselves.
        info = pool.submit(asyncio.run, prepare(settings, traffic=False)).result()
    settings = with_demo_mail(settings, info)  # as `floorwalker demo`: replies come back
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False,
                                           ws="websockets-sansio", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    live = Live(f"http://127.0.0.1:{port}", str(info["write_key"]), str(info["token"]), server)
    with live.api() as api:
        api.patch("/api/workspace/settings",
                  json={"min_gap_seconds": 0, "max_proactive_per_session": 50})
    yield live
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (from the wheel; no downloaded browsers).

    Module scope: its sync API keeps an event loop running in the main thread, which must
    be gone before other test modules call asyncio.run."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is required for the browser tests "
                           "(apt-get install chromium; .ci/run does it)")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Any]:
    """Fresh browser contexts, one per device or person (``contexts(360, 740,
    locale="fr-FR", has_touch=True)``); all closed at the end of the test."""
    made: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900, locale: str = "en-US",
             **options: Any) -> BrowserContext:
        ctx = browser.new_context(locale=locale, viewport={"width": width, "height": height},
                                  **options)
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def shot(page: Any, name: str) -> None:
    """With FLOORWALKER_SCREENSHOTS=<folder>, keep what the page shows now as <name>.png."""
    folder = os.environ.get("FLOORWALKER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(400)  # the widget's entrance animation
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def widget(page: Any, hook: str) -> Any:
    """A locator inside the widget's shadow root (Playwright pierces open shadow roots)."""
    return page.locator(f"#floorwalker-widget [data-fw='{hook}']")


DEMO_PAGE = re.compile(r"/demo/([\w-]+\.html)?(\?.*)?$")


def shop_in(page: Page, language: str) -> None:
    """Serve the demo shop's pages as a shop written in ``language`` would (its
    ``<html lang>``): the page's language comes before the browser's (docs/widget.md)."""
    def handler(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace('<html lang="en">', f'<html lang="{language}">', 1)
        route.fulfill(response=response, body=body)
    page.route(DEMO_PAGE, handler)


def login(context: BrowserContext, live: Live, email: str, where: str = "") -> Page:
    """Log in to the demo workspace through the console's form; ``where`` is the page to
    land on (a hash)."""
    page = context.new_page()
    page.goto(f"{live.base}/console/{where}")
    page.get_by_label("Workspace").fill("demo")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-test=whoami]")).to_contain_text("demo")
    return page
