"""Security review, issue 9 §5.2, in Chromium against the real server: a script opening
many chat sockets for one visitor gets the documented close code and reason (not a bare
handshake failure), while ten tabs of one visitor all connect."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser

from tests.browser.conftest import Live

OPEN_SOCKETS = """async ([key, anon, n]) => {
  const url = location.origin.replace(/^http/, 'ws') + '/ws/visitor?v=1&writeKey=' + key
    + '&anonymousId=' + anon;
  const open = (u) => new Promise((resolve) => {
    const ws = new WebSocket(u);
    ws.onmessage = (e) => resolve({ws, type: JSON.parse(e.data).type});
    ws.onclose = (e) => resolve({code: e.code, reason: e.reason});
  });
  const results = [];
  for (let i = 0; i < n; i++) results.push(await open(url));
  window.__sockets = results.filter((r) => r.ws).map((r) => r.ws);
  results.push(await open(url.replace('writeKey=' + key, 'writeKey=nope')));
  return results.map((r) => r.ws ? r.type : [r.code, r.reason]);
}"""


def test_one_socket_too_many_is_closed_with_4429(live: Live, browser: Browser) -> None:
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"{live.base}/demo/")
        got: list[Any] = page.evaluate(OPEN_SOCKETS, [live.write_key, "many-tabs", 11])
        assert got[:10] == ["welcome"] * 10
        assert got[10] == [4429, "too many connections for this visitor"]
        assert got[11] == [4401, "unknown write key"]
    finally:
        ctx.close()
