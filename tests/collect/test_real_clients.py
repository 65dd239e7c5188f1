"""The real Segment and RudderStack Python libraries, unmodified, against a running server.

Both post ``/v1/batch`` with the write key as the Basic user; RudderStack gzips by default
and Segment can. Each is tried sync and batched (its consumer thread), with and without
compression, and the profile is read back. Errors must reach the library's own error
report with our code and message.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from rudderstack.analytics.client import Client as RudderClient
from rudderstack.analytics.request import APIError as RudderError
from segment.analytics.client import Client as SegmentClient
from segment.analytics.request import APIError as SegmentError

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant, make_tenant

LIBRARIES = {"segment": (SegmentClient, SegmentError), "rudderstack": (RudderClient, RudderError)}


@dataclass
class Running:
    base: str
    tenant: Tenant

    def profile(self, ref: str) -> dict[str, Any]:
        r = httpx.get(f"{self.base}/api/visitors/{ref}", headers=self.tenant.bearer(),
                      timeout=10)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def running(settings: Settings, database_url: str) -> Iterator[Running]:
    """The app served by uvicorn on a loopback port, as the libraries see a real server."""
    tenant = asyncio.run(make_tenant(database_url, "acme"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings.with_overrides(timers_enabled=False)), host="127.0.0.1", port=port,
        log_config=None, access_log=False, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield Running(f"http://127.0.0.1:{port}", tenant)
    server.should_exit = True
    thread.join(timeout=10)


def client(library: str, key: str, base: str, *, gzip: bool, sync: bool,
           errors: list[Exception] | None = None) -> Any:
    cls, _ = LIBRARIES[library]
    return cls(key, host=base, gzip=gzip, sync_mode=sync, max_retries=0,
               on_error=(lambda exc, _batch: errors.append(exc)) if errors is not None else None,
               upload_interval=0.05)


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "batched"])
@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_the_library_fills_the_profile(running: Running, library: str, gzip: bool,
                                       sync: bool) -> None:
    anon = f"{library}-{'gz' if gzip else 'plain'}-{'sync' if sync else 'batch'}"
    user = f"{anon}@customer.example"
    errors: list[Exception] = []
    # A shop's back end holds the server key: its identify and purchase are trusted.
    lib = client(library, running.tenant.server_key, running.base, gzip=gzip, sync=sync,
                 errors=errors)
    lib.page(anonymous_id=anon, name="Boots", properties={"url": "https://shop.example/boots"})
    lib.track(anonymous_id=anon, event="add_to_cart",
              properties={"items": [{"item_id": "boot", "price": 120, "quantity": 1}],
                          "value": 120, "currency": "EUR"})
    lib.identify(user_id=user, anonymous_id=anon, traits={"plan": "gold", "name": "Ann"})
    lib.track(user_id=user, anonymous_id=anon, event="purchase",
              properties={"transaction_id": f"T-{anon}", "value": 120, "currency": "EUR"})
    lib.flush()
    if not sync:
        lib.join()
    assert not errors, errors
    profile = running.profile(anon)
    assert profile["event_count"] >= 4, profile
    assert profile["user_id"] == user, profile
    assert profile["attributes"]["plan"] == "gold", profile
    assert profile["purchase_count"] == 1 and profile["lifetime_revenue"] == 120, profile
    assert profile["session"]["landing_page"]["url"] == "https://shop.example/boots"


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_the_library_reports_our_error_code_and_message(running: Running, library: str,
                                                        gzip: bool,
                                                        caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    _, error_type = LIBRARIES[library]
    lib = client(library, "fw_pub_not-a-key", running.base, gzip=gzip, sync=True)
    caplog.set_level(logging.ERROR)
    with pytest.raises(error_type) as raised:
        lib.track(anonymous_id="nobody", event="x")
    exc: Any = raised.value
    assert (exc.status, exc.code) == (401, "unknown_write_key")
    assert "no site" in exc.message
    # A browser key cannot identify without the user hash: the library hears why.
    lib = client(library, running.tenant.write_key, running.base, gzip=gzip, sync=True)
    with pytest.raises(error_type) as raised:
        lib.identify(user_id="ann@customer.example", traits={"plan": "gold"})
    exc = raised.value
    assert exc.status == 403 and exc.code in ("identity_unverified", "invalid_user_hash"), (
        exc.status, exc.code, exc.message)
