"""An account's own console preferences."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import Desk

DEFAULTS = {"watched_segments": [], "muted": [], "sound": True, "desktop": False}


def test_defaults_then_changes_kept_per_field(desk: Desk) -> None:
    assert desk.sam.get("/api/me/preferences").json() == DEFAULTS
    r = desk.sam.put("/api/me/preferences", {"watched_segments": ["vip", "big_cart", "vip"],
                                             "muted": ["new_message"]})
    assert r.status_code == 200, r.text
    assert r.json() == {**DEFAULTS, "watched_segments": ["big_cart", "vip"],
                        "muted": ["new_message"]}
    r = desk.sam.put("/api/me/preferences", {"sound": False, "desktop": True})
    expected = {"watched_segments": ["big_cart", "vip"], "muted": ["new_message"],
                "sound": False, "desktop": True}
    assert r.json() == expected
    assert desk.sam.get("/api/me/preferences").json() == expected
    # Emptying a list is a change, not "left out".
    r = desk.sam.put("/api/me/preferences", {"watched_segments": [], "muted": []})
    assert r.json() == {**expected, "watched_segments": [], "muted": []}
    assert desk.sam.put("/api/me/preferences", {}).json() == r.json()
    # Each account has its own.
    assert desk.bea.get("/api/me/preferences").json() == DEFAULTS
    r = desk.alice.put("/api/me/preferences", {"muted": ["watched_segment",
                                                         "scenario_alert"]})
    assert r.json()["muted"] == ["scenario_alert", "watched_segment"]
    assert desk.sam.get("/api/me/preferences").json()["muted"] == []


def test_bad_preferences_are_422(desk: Desk) -> None:
    r = desk.sam.put("/api/me/preferences", {"watched_segments": ["vip", "gold"]})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unknown_segment")
    assert "gold" in r.json()["error"]["message"]
    # Another workspace's segment is unknown here.
    assert desk.charlie.put("/api/me/preferences",
                            {"watched_segments": ["vip"]}).status_code == 422
    bad: list[Any] = [{"muted": ["everything"]}, {"watched_segments": "vip"},
                      {"sound": "loud"}, {"desktop": 1}, {"muted": [1]}, {"theme": "dark"},
                      [], "x"]
    for body in bad:
        r = desk.sam.put("/api/me/preferences", body)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_preferences"), body
    r = desk.sam.put("/api/me/preferences", {"watched_segments": [f"s{i}" for i in range(300)]})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unknown_segment")
    assert desk.sam.get("/api/me/preferences").json() == DEFAULTS


def test_a_token_has_no_preferences(desk: Desk) -> None:
    for r in (desk.client.get("/api/me/preferences", headers=desk.acme.bearer()),
              desk.client.put("/api/me/preferences", headers=desk.acme.bearer(),
                              json={"sound": False})):
        assert (r.status_code, r.json()["error"]["code"]) == (409, "account_required")
    r = desk.client.get("/api/me/preferences")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "login_required")
    # A session without its CSRF token cannot change them.
    r = desk.client.put("/api/me/preferences", json={"sound": False},
                        headers={"Cookie": f"fw_session={desk.sam.cookie}"})
    assert r.status_code == 403
    assert desk.sam.get("/api/me/preferences").json()["sound"] is True
