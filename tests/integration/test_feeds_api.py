"""Feeds through the gateway's HTTP API, in process, against the real store (and broker, at start)."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from infra.settings import CommonSettings
from schemas.feeds import Feed
from services.fetcher.registry import feeds as registry
from services.gateway import feeds as gateway_feeds
from services.gateway.app import build
from services.gateway.config import Settings
from tests.conftest import eventually
from tests.proxy import proxied

NEW = {"id": "acme-jobs", "url": "https://acme.example/jobs.rss", "interval_minutes": 30}
TOKEN = "feeds-api-test-token"


@pytest.fixture
async def api(
    environment: dict[str, str], database: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("GATEWAY_API_TOKENS", TOKEN)
    app = build(Settings())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gateway",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client,
    ):
        yield client


@pytest.fixture
def feeds(database: Any) -> registry.Feeds:
    """The registry and the feeds' health, as the fetcher reads and writes them."""
    return registry.Feeds.of(database)


# Adding


async def test_a_feed_added_through_the_api_is_listed_with_its_health(api: httpx.AsyncClient) -> None:
    added = await api.post("/api/feeds", json=NEW | {"field_map": {"company": "employer"}})

    assert added.status_code == 201
    [listed] = (await api.get("/api/feeds")).json()["items"]
    assert listed == added.json()
    assert (listed["id"], listed["origin"], listed["enabled"], listed["field_map"]) == (
        "acme-jobs",
        "api",
        True,
        {"company": "employer"},
    )
    assert listed["consecutive_failures"] == 0 and listed["next_check_at"] is None  # never checked: due
    assert "etag" not in listed and "last_modified" not in listed


async def test_a_feed_added_through_the_api_is_due_for_the_fetcher(
    api: httpx.AsyncClient, feeds: registry.Feeds
) -> None:
    await api.post("/api/feeds", json=NEW)
    due = await registry.due(feeds, datetime.now(UTC))
    assert [(feed.id, feed.url, feed.interval_minutes) for feed in due] == [("acme-jobs", NEW["url"], 30)]


async def test_adding_an_id_that_exists_conflicts_and_changes_nothing(api: httpx.AsyncClient) -> None:
    await api.post("/api/feeds", json=NEW)
    again = await api.post("/api/feeds", json=NEW | {"url": "https://other.example/"})
    assert again.status_code == 409
    assert (await api.get("/api/feeds/acme-jobs")).json()["url"] == NEW["url"]


@pytest.mark.parametrize(
    "body",
    [
        NEW | {"url": "ftp://acme.example/jobs.rss"},
        NEW | {"url": "file:///etc/passwd"},
        NEW | {"url": "https://"},
        NEW | {"id": "has spaces"},
        NEW | {"interval_minutes": 0},
        NEW | {"colour": "red"},
        {"url": "https://acme.example/"},
    ],
    ids=["ftp", "file", "no-host", "bad-id", "zero-interval", "unknown-field", "no-id"],
)
async def test_an_invalid_feed_is_refused_and_not_stored(
    api: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert (await api.post("/api/feeds", json=body)).status_code == 422
    assert (await api.get("/api/feeds")).json()["items"] == []


async def test_a_body_that_is_not_a_json_object_is_refused(api: httpx.AsyncClient) -> None:
    json_type = {"Content-Type": "application/json"}
    assert (await api.post("/api/feeds", content=b"{not json", headers=json_type)).status_code == 422
    assert (await api.post("/api/feeds", json=[NEW])).status_code == 422


# Changing and disabling


async def test_a_feed_is_changed_and_the_change_is_what_the_fetcher_reads(
    api: httpx.AsyncClient, feeds: registry.Feeds
) -> None:
    await api.post("/api/feeds", json=NEW)

    changed = await api.patch(
        "/api/feeds/acme-jobs", json={"url": "https://acme.example/v2", "max_bytes": 1000}
    )

    assert changed.status_code == 200
    feed = await registry.load(feeds, "acme-jobs")
    assert feed is not None
    assert (feed.url, feed.max_bytes, feed.interval_minutes) == ("https://acme.example/v2", 1000, 30)


async def test_a_new_address_drops_the_validators_of_the_old_one(
    api: httpx.AsyncClient, feeds: registry.Feeds
) -> None:
    await api.post("/api/feeds", json=NEW)
    await registry.record_success(feeds, "acme-jobs", etag='"old"', last_modified=None)

    await api.patch("/api/feeds/acme-jobs", json={"url": "https://acme.example/v2"})

    feed = await registry.load(feeds, "acme-jobs")
    assert feed is not None and feed.etag is None


async def test_changing_a_file_feed_takes_it_over_from_the_file(
    api: httpx.AsyncClient, feeds: registry.Feeds
) -> None:
    await gateway_feeds.register(
        feeds.registry.database, [Feed(id="from-file", url="https://file.example/feed")]
    )

    await api.patch("/api/feeds/from-file", json={"interval_minutes": 15})
    await gateway_feeds.register(
        feeds.registry.database, [Feed(id="from-file", url="https://file.example/feed", interval_minutes=90)]
    )

    row = (await api.get("/api/feeds/from-file")).json()
    assert (row["origin"], row["interval_minutes"]) == ("api", 15)


@pytest.mark.parametrize(
    "change",
    [{"url": "javascript:alert(1)"}, {"interval_minutes": "often"}, {"id": "renamed"}, {"enabled": None}],
    ids=["bad-url", "bad-interval", "rename", "null-enabled"],
)
async def test_an_invalid_change_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, change: dict[str, Any]
) -> None:
    before = (await api.post("/api/feeds", json=NEW)).json()
    assert (await api.patch("/api/feeds/acme-jobs", json=change)).status_code == 422
    assert (await api.get("/api/feeds/acme-jobs")).json() == before


async def test_deleting_a_feed_disables_it_and_keeps_its_health(
    api: httpx.AsyncClient, feeds: registry.Feeds
) -> None:
    await api.post("/api/feeds", json=NEW)
    await registry.record_failure(feeds, "acme-jobs", error="HTTP 500")

    deleted = await api.delete("/api/feeds/acme-jobs")

    assert deleted.status_code == 200
    row = (await api.get("/api/feeds/acme-jobs")).json()
    assert (row["enabled"], row["consecutive_failures"], row["last_error"]) == (False, 1, "HTTP 500")
    assert (await api.patch("/api/feeds/acme-jobs", json={"enabled": True})).json()["enabled"]


async def test_an_unknown_feed_is_not_found(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/feeds/nope")).status_code == 404
    assert (await api.patch("/api/feeds/nope", json={"enabled": False})).status_code == 404
    assert (await api.delete("/api/feeds/nope")).status_code == 404
    assert (await api.get("/api/feeds")).json()["items"] == []


async def test_secrets_in_feed_urls_are_never_shown(api: httpx.AsyncClient, database: Any) -> None:
    secret_url = "https://partner.example/jobs.xml?api_key=s3cr3t&category=it"
    added = await api.post("/api/feeds", json={"id": "partner", "url": secret_url})

    listed = (await api.get("/api/feeds")).json()["items"]

    assert "s3cr3t" not in added.text and "s3cr3t" not in json.dumps(listed)
    assert [feed["url"] for feed in listed] == [
        "https://partner.example/jobs.xml?api_key=REDACTED&category=it"
    ]
    stored = await database.feeds.find_one({"_id": "partner"})
    assert stored["url"] == secret_url  # the fetcher still needs the real one


# The feeds file


async def test_the_feeds_file_is_registered_once_the_store_answers_and_the_gateway_is_ready_then(
    environment: dict[str, str], stack: CommonSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text("feeds:\n  - {id: from-file, url: 'https://file.example/feed'}\n")
    address = urlsplit(stack.mongodb_url)
    with proxied(address.hostname or "localhost", address.port or 27017) as store:
        store.cut()  # the store is away when the gateway starts
        monkeypatch.setenv("MONGODB_URL", f"mongodb://127.0.0.1:{store.port}/?directConnection=true")
        monkeypatch.setenv("FEEDS_FILE", str(feeds_file))
        app = build(Settings(gateway_public_reads=True))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://gw") as api,
        ):
            not_yet = await api.get("/readyz")
            assert not_yet.status_code == 503 and not_yet.json()["checks"]["feeds_file"] is False

            store.restore()

            async def ready() -> bool:
                return (await api.get("/readyz")).status_code == 200

            await eventually(ready, timeout=30)
            [listed] = (await api.get("/api/feeds")).json()["items"]
            assert (listed["id"], listed["origin"], listed["next_check_at"]) == ("from-file", "file", None)
