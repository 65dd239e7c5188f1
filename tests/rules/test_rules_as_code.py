"""Rules as code (export / apply with a diff), playbook install from the CLI, and timers that
survive a restart."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from asgi_lifespan import LifespanManager

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant
from tests.rules.helpers import install_playbook, page, shown, staff


async def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "floorwalker.cli", *args], env=env,
        capture_output=True, text=True, timeout=120, check=False)


async def test_playbook_install_export_edit_apply(tmp_path: Path, database_url: str,
                                                  alice: Tenant,
                                                  client: httpx.AsyncClient) -> None:
    result = await _cli(database_url, "playbook", "install", "ecommerce", "--workspace", "acme")
    assert result.returncode == 0, result.stderr
    assert "+ scenario payment_failure" in result.stdout
    result = await _cli(database_url, "rules", "export", "--workspace", "acme")
    doc = yaml.safe_load(result.stdout)
    assert len(doc["scenarios"]) == 13 and len(doc["segments"]) == 7
    big = next(s for s in doc["scenarios"] if s["key"] == "big_cart")
    big["condition"]["value"] = 800
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = await _cli(database_url, "rules", "apply", str(path), "--workspace", "acme",
                        "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "~ scenario big_cart" in result.stdout
    assert "-  value: 500" in result.stdout
    assert "+  value: 800" in result.stdout
    assert "1 would change" in result.stdout
    r = await client.get("/api/scenarios/big_cart", headers=alice.bearer())
    assert r.json()["condition"]["value"] == 500  # a dry run writes nothing
    result = await _cli(database_url, "rules", "apply", str(path), "--workspace", "acme")
    assert "1 changed" in result.stdout
    r = await client.get("/api/scenarios/big_cart", headers=alice.bearer())
    assert r.json()["condition"]["value"] == 800


async def test_apply_refuses_an_invalid_file_whole(tmp_path: Path, database_url: str,
                                                   alice: Tenant) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"segments": [
        {"key": "ok", "name": "OK", "condition": {"path": "visitor.customer", "op": "exists"}},
        {"key": "bad", "name": "Bad", "condition": {"path": "nope.x", "op": "eq", "value": 1}},
    ]}))
    result = await _cli(database_url, "rules", "apply", str(path), "--workspace", "acme")
    assert result.returncode == 1
    assert "segments[1]" in result.stderr
    result = await _cli(database_url, "rules", "export", "--workspace", "acme")
    assert yaml.safe_load(result.stdout)["segments"] == []


async def test_timers_survive_a_restart(settings: Settings, alice: Tenant) -> None:
    quiet = settings.with_overrides(timers_enabled=False)
    app = create_app(quiet)
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        await install_playbook(client, alice)
        await staff(client, alice, "sales")
        await page(client, alice, "v", "https://acme.example/")
        await page(client, alice, "v", "https://acme.example/boots")
    # A new process: presence is fed again by the agent; the timer comes from the database.
    app = create_app(quiet)
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        agents = (await client.get("/api/agents", headers=alice.bearer())).json()
        await client.put(f"/api/agents/{agents[0]['id']}/presence",
                         headers=alice.bearer(), json={"status": "online"})
        assert await app.state.timers.tick(time.time() + 151) == 1
        [invite] = await shown(client, alice, "v")
        assert invite["type"] == "chat_invitation"
