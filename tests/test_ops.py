"""Operations: health, metrics, request ids, settings."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import structlog

from floorwalker.config import Settings, SettingsError, setting_names
from floorwalker.ops.logging import configure_logging
from tests.conftest import Tenant
from tests.helpers import call, send

DOCS = Path(__file__).parent.parent / "docs"


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


async def test_metrics_count_events_and_rejections(client: httpx.AsyncClient,
                                                   alice: Tenant) -> None:
    await send(client, alice, call("track", event="x"), call("page"))
    await client.post("/v1/track", json={"event": "x"})
    text = (await client.get("/metrics")).text
    assert 'floorwalker_events_received_total{type="track"} 1.0' in text
    assert 'floorwalker_events_received_total{type="page"} 1.0' in text
    assert 'floorwalker_requests_rejected_total{code="missing_write_key"} 1.0' in text
    assert "floorwalker_pipeline_commit_seconds_count" in text


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32


async def test_unknown_route_has_the_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.get("/nope")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    r = await client.get("/v1/track")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "operations.md").read_text()
    missing = [name for name in setting_names() if name not in text]
    assert missing == []


def test_bad_settings_fail_loudly(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="FLOORWALKER_PORT must be an integer"):
        Settings.from_env({"FLOORWALKER_PORT": "eighty"})
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env({"FLOORWALKER_DATABASE_URL": "mysql://x"})
    secret = tmp_path / "database-url"
    secret.write_text("postgresql+asyncpg://fw:s3cret@db/fw\n")
    settings = Settings.from_env({"FLOORWALKER_DATABASE_URL_FILE": str(secret)})
    assert settings.database_url == "postgresql+asyncpg://fw:s3cret@db/fw"


def test_our_own_log_lines_redact_query_string_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    """Security review (issue 9, 5.3): structlog lines (a webhook URL, say) too."""
    configure_logging("info", json_logs=True)
    try:
        structlog.get_logger("floorwalker.test").warning(
            "webhook failed", url="https://hooks.example/in?api_key=s3cr3t-value&channel=ops")
    finally:
        structlog.reset_defaults()
    err = capsys.readouterr().err
    assert "s3cr3t-value" not in err
    assert "api_key=[redacted]&channel=ops" in err
