"""Server-side lookup tables: upload by API or CLI; values never reach a browser."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import Server, Tenant
from tests.helpers import call, send

CSV = "item_id,margin,category,stock\nboot,0.42,shoes,12\nsock,0.8,socks,0\n"


async def test_csv_upload_by_server_key(client: httpx.AsyncClient, alice: Tenant,
                                        server: Server) -> None:
    r = await client.put("/api/lookups/products", content=CSV,
                         headers={"Authorization": f"Bearer {alice.server_key}",
                                  "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["row_count"] == 2
    assert r.json()["key_field"] == "item_id"
    row = await server.services.lookups.get(alice.workspace_id, "products", "boot")
    assert row == {"item_id": "boot", "margin": 0.42, "category": "shoes", "stock": 12}
    listed = (await client.get("/api/lookups", headers=alice.bearer())).json()
    assert [(t["name"], t["row_count"]) for t in listed] == [("products", 2)]
    assert "0.42" not in str(listed)
    r = await client.get("/api/lookups/products/rows/boot", headers=alice.bearer())
    assert r.json()["margin"] == 0.42
    # Reading values needs an admin token, not a server key.
    r = await client.get("/api/lookups/products/rows/boot",
                         headers={"Authorization": f"Bearer {alice.server_key}"})
    assert r.status_code == 403


async def test_json_upload_replaces_the_table(client: httpx.AsyncClient, alice: Tenant,
                                              server: Server) -> None:
    await client.put("/api/lookups/products", content=CSV, headers={
        **alice.bearer(), "content-type": "text/csv"})
    r = await client.put("/api/lookups/products", headers=alice.bearer(), json={
        "key_field": "item_id", "rows": [{"item_id": "hat", "margin": 0.5}]})
    assert r.status_code == 200, r.text
    table = await server.services.lookups.table(alice.workspace_id, "products")
    assert table == {"hat": {"item_id": "hat", "margin": 0.5}}


async def test_bad_uploads(client: httpx.AsyncClient, alice: Tenant) -> None:
    auth = {**alice.bearer(), "content-type": "text/csv"}
    r = await client.put("/api/lookups/Bad-Name", content=CSV, headers=auth)
    assert r.json()["error"]["code"] == "invalid_lookup_name"
    r = await client.put("/api/lookups/products", content="item_id,margin\n,0.1\n", headers=auth)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_lookup"
    r = await client.put("/api/lookups/products", params={"key_field": "nope"}, content=CSV,
                         headers=auth)
    assert r.status_code == 422


async def test_lookup_values_never_in_browser_responses(client: httpx.AsyncClient,
                                                        alice: Tenant) -> None:
    await client.put("/api/lookups/products", content=CSV,
                     headers={**alice.bearer(), "content-type": "text/csv"})
    body = await send(client, alice, call("track", event="view_item",
                                          properties={"item_id": "boot"}))
    assert "0.42" not in str(body) and "margin" not in str(body)


async def test_cli_import_with_progress(tmp_path: Path, database_url: str, alice: Tenant,
                                        server: Server) -> None:
    path = tmp_path / "products.csv"
    rows = "".join(f"sku-{i},{i / 1000},cat\n" for i in range(2500))
    path.write_text("item_id,margin,category\n" + rows)
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "floorwalker.cli", "lookup", "import", str(path),
         "--workspace", "acme"], env=env, capture_output=True, text=True, timeout=120,
        check=False)
    assert result.returncode == 0, result.stderr
    assert "2500 rows keyed by item_id" in result.stdout
    assert "importing products" in result.stderr  # the progress bar
    row = await server.services.lookups.get(alice.workspace_id, "products", "sku-1234")
    assert row == {"item_id": "sku-1234", "margin": 1.234, "category": "cat"}
