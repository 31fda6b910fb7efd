"""The gateway's API rules, one test each: problem bodies, validation, auth, CSRF, rate limit, headers.

In process (ASGI), against the real store, Kafka and Redis.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.kafka import client_options
from infra.settings import CommonSettings
from services.gateway.app import build
from services.gateway.config import Settings

TOKEN, OTHER_TOKEN = "contract-token-1", "contract-token-2"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://gateway.test"
FEED = {"id": "acme", "url": "https://acme.example/jobs.rss"}
Gateway = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def gateway(environment: dict[str, str], database: Any, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """A gateway with these settings (env names without the GATEWAY_ prefix) and a client to it."""

    @asynccontextmanager
    async def started(**settings: str) -> AsyncIterator[httpx.AsyncClient]:
        monkeypatch.setenv("GATEWAY_API_TOKENS", f"{TOKEN},{OTHER_TOKEN}")
        for name, value in settings.items():
            monkeypatch.setenv(f"GATEWAY_{name.upper()}", value)
        app = build(Settings())
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url=BASE) as client,
        ):
            client.app = app  # type: ignore[attr-defined]
            yield client

    return started


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert not any(internal in response.text for internal in ("Traceback", "pymongo", "services.", "File "))
    return body


async def published_requests(environment: dict[str, str]) -> int:
    topic = f"{environment['KAFKA_TOPIC_PREFIX']}imports.requested"
    consumer = AIOKafkaConsumer(**client_options(CommonSettings()))  # `environment` is exported
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(int(environment.get("KAFKA_PARTITIONS", 3)))]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


# Every error is a problem


async def test_a_malformed_query_is_400_naming_each_parameter(gateway: Gateway) -> None:
    async with gateway() as api:
        bad = {"status": "finished", "limit": "0", "since": "yesterday-ish", "trigger": "cron"}
        body = assert_problem(await api.get("/api/imports", params=bad, headers=AUTH), 400)
        assert {error["parameter"] for error in body["errors"]} == {"status", "limit", "since", "trigger"}
        assert_problem(await api.get("/api/imports", params={"limit": 501}, headers=AUTH), 400)
        assert_problem(await api.get("/api/jobs", params={"workplace_type": "moon"}, headers=AUTH), 400)


@pytest.mark.parametrize("cursor", ["garbage", "WyJhIiwgImIiXQ==", "bnVsbA==", "%%%"])
async def test_a_cursor_the_api_did_not_give_is_400(gateway: Gateway, cursor: str) -> None:
    async with gateway() as api:
        for path in ("/api/imports", "/api/jobs"):
            body = assert_problem(await api.get(path, params={"cursor": cursor}, headers=AUTH), 400)
            assert body["errors"] == [{"detail": "cursor is not one this API gave", "parameter": "cursor"}]


async def test_unknown_paths_and_methods_are_404_and_405(gateway: Gateway) -> None:
    async with gateway() as api:
        assert_problem(await api.get("/api/nothing-here", headers=AUTH), 404)
        assert (
            "no run 'nope'" in assert_problem(await api.get("/api/imports/nope", headers=AUTH), 404)["detail"]
        )
        assert_problem(await api.get("/api/jobs/some:job", headers=AUTH), 404)
        assert_problem(await api.put("/api/feeds", json=FEED, headers=AUTH), 405)


async def test_a_body_that_breaks_the_rules_is_422_pointing_at_each_field(gateway: Gateway) -> None:
    async with gateway() as api:
        wrong = {"id": "has spaces", "url": "ftp://x", "interval_minutes": 0, "colour": "red"}
        body = assert_problem(await api.post("/api/feeds", json=wrong, headers=AUTH), 422)
        pointers = {error["pointer"] for error in body["errors"]}
        assert pointers == {"#/id", "#/url", "#/interval_minutes", "#/colour"}
        assert "url must be an http or https address" in str(body["errors"])
        invalid = {"Content-Type": "application/json"} | AUTH
        assert_problem(await api.post("/api/imports", content=b"{", headers=invalid), 422)
        assert_problem(await api.post("/api/imports", json={"feeds": "all"}, headers=AUTH), 422)
        assert_problem(await api.post("/api/imports", json={"trigger": "replay"}, headers=AUTH), 422)


async def test_a_body_over_the_limit_is_413_and_a_wrong_type_415(gateway: Gateway) -> None:
    async with gateway(max_body_bytes="1000") as api:
        big = {"id": "big", "url": "https://big.example/" + "x" * 2000}
        assert_problem(await api.post("/api/feeds", json=big, headers=AUTH), 413)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b" " * 500

        chunked = {"Content-Type": "application/json"} | AUTH
        assert_problem(await api.post("/api/feeds", content=chunks(), headers=chunked), 413)
        form = {"Content-Type": "text/plain"} | AUTH
        assert_problem(await api.post("/api/feeds", content=b'{"id": "a"}', headers=form), 415)
        assert (await api.get("/api/feeds", headers=AUTH)).json()["items"] == []


async def test_duplicate_feed_ids_and_urls_are_409(gateway: Gateway) -> None:
    async with gateway() as api:
        assert (await api.post("/api/feeds", json=FEED, headers=AUTH)).status_code == 201
        same_id = FEED | {"url": "https://elsewhere.example/"}
        assert (
            "exists"
            in assert_problem(await api.post("/api/feeds", json=same_id, headers=AUTH), 409)["detail"]
        )
        same_url = FEED | {"id": "acme-again"}
        assert (
            "'acme'"
            in assert_problem(await api.post("/api/feeds", json=same_url, headers=AUTH), 409)["detail"]
        )
        await api.post("/api/feeds", json={"id": "beta", "url": "https://beta.example/"}, headers=AUTH)
        moved = await api.patch("/api/feeds/beta", json={"url": FEED["url"]}, headers=AUTH)
        assert_problem(moved, 409)


async def test_unknown_feeds_in_an_import_request_are_404_and_nothing_is_published(
    gateway: Gateway, environment: dict[str, str]
) -> None:
    async with gateway() as api:
        await api.post("/api/feeds", json=FEED, headers=AUTH)
        asked = {"feeds": ["acme", "nope", FEED["url"], "https://unknown.example/"]}
        body = assert_problem(await api.post("/api/imports", json=asked, headers=AUTH), 404)
        assert body["errors"] == [
            {"detail": "no feed 'nope'", "pointer": "#/feeds/1"},
            {"detail": "no feed 'https://unknown.example/'", "pointer": "#/feeds/3"},
        ]
        assert await published_requests(environment) == 0
        assert (await api.post("/api/imports", json={"feeds": ["acme"]}, headers=AUTH)).status_code == 202
        assert await published_requests(environment) == 1


async def test_import_requests_are_rate_limited_per_client_with_retry_after(gateway: Gateway) -> None:
    async with gateway(import_burst="2", import_requests_per_minute="1") as api:
        for _ in range(2):
            assert (await api.post("/api/imports", headers=AUTH)).status_code == 202
        limited = await api.post("/api/imports", headers=AUTH)
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        other = {"Authorization": f"Bearer {OTHER_TOKEN}"}
        assert (await api.post("/api/imports", headers=other)).status_code == 202


async def test_a_crash_is_500_without_internals(gateway: Gateway) -> None:
    async with gateway() as api:
        await api.app.state.mongo.close()  # type: ignore[attr-defined]
        body = assert_problem(await api.get("/api/feeds", headers=AUTH), 500)
        assert body["detail"] == "the gateway could not answer; the error is in its log"


# Closed to strangers


WRITES = [
    ("POST", "/api/imports", {"feeds": []}),
    ("POST", "/api/feeds", FEED),
    ("PATCH", "/api/feeds/acme", {"enabled": False}),
    ("DELETE", "/api/feeds/acme", None),
]


@pytest.mark.parametrize("method,path,body", WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["none", "wrong", "no-scheme"],
)
async def test_every_write_without_a_valid_token_is_401(
    gateway: Gateway, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    async with gateway(public_reads="true") as api:
        refused = await api.request(method, path, json=body, headers=headers)
        assert_problem(refused, 401)
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert (await api.get("/api/feeds")).json()["items"] == []


async def test_reads_need_a_token_unless_made_public(gateway: Gateway) -> None:
    async with gateway() as api:
        for path in ("/api/imports", "/api/feeds", "/api/jobs", "/api/imports/x"):
            assert_problem(await api.get(path), 401)
        assert (
            await api.get("/api/feeds", headers={"Authorization": f"Bearer {OTHER_TOKEN}"})
        ).status_code == 200
    async with gateway(public_reads="true") as api:
        assert (await api.get("/api/imports")).status_code == 200


async def sign_in(api: httpx.AsyncClient, token: str = TOKEN) -> httpx.Response:
    return await api.post("/login", data={"token": token}, headers={"Origin": BASE})


async def test_the_dashboard_signs_in_to_a_strict_http_only_cookie(gateway: Gateway) -> None:
    async with gateway() as api:
        assert (await sign_in(api, "wrong")).headers["location"] == "/login?failed=1"
        signed_in = await sign_in(api)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        assert TOKEN not in cookie
        assert (await api.get("/api/feeds")).status_code == 200
        own = {"Origin": BASE}
        assert (await api.post("/api/feeds", json=FEED, headers=own)).status_code == 201


async def test_a_cookie_write_from_another_origin_or_none_is_403(gateway: Gateway) -> None:
    async with gateway() as api:
        await sign_in(api)
        for headers in ({"Origin": "https://evil.example"}, {}, {"Origin": "null"}):
            assert_problem(await api.post("/api/feeds", json=FEED, headers=headers), 403)
            assert_problem(await api.delete("/api/feeds/acme", headers=headers), 403)
        assert_problem(
            await api.post("/login", data={"token": TOKEN}, headers={"Origin": "https://evil.example"}), 403
        )
        assert (await api.get("/api/feeds")).json()["items"] == []


async def test_allowed_origins_may_write_with_the_cookie(gateway: Gateway) -> None:
    async with gateway(allowed_origins="https://ops.example, https://admin.example/") as api:
        await sign_in(api)
        added = await api.post("/api/feeds", json=FEED, headers={"Origin": "https://admin.example"})
        assert added.status_code == 201


async def test_a_session_ends_when_its_token_is_removed(gateway: Gateway) -> None:
    async with gateway() as api:
        await sign_in(api)
        cookies = api.cookies
    async with gateway(api_tokens=OTHER_TOKEN) as api:  # rotated: the first token is gone
        api.cookies = cookies
        assert_problem(await api.get("/api/feeds"), 401)


async def test_html_pages_carry_the_security_headers_and_no_inline_script(gateway: Gateway) -> None:
    async with gateway() as api:
        for path in ("/", "/login", "/api/docs", "/jobs", "/jobs/src%3Ahttps%3A%2F%2Fjobs.example%2F1"):
            page = await api.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            policy = page.headers["content-security-policy"]
            assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "same-origin"
            assert "<script>" not in page.text  # every script is a file
            for asset in _assets(page.text):
                assert (await api.get(asset)).status_code == 200, asset


def _assets(html: str) -> list[str]:
    return [part.split('"')[1] for part in html.split(" ") if part.startswith(('src="/', 'href="/static'))]


# Described


async def test_the_openapi_document_is_served_and_read_models_hide_internals(
    gateway: Gateway, database: Any
) -> None:
    now = datetime.now(UTC)
    job = {"_id": "src:1", "job_key": "src:1", "source": "src", "title": "Engineer", "content_hash": "abc"}
    await database.jobs.insert_one(
        job | {"first_seen_at": now, "created_run_id": "r1", "changed_run_id": "r1"}
    )
    log = {"_id": "r1", "run_id": "r1", "status": "completed", "counting": False, "version": 3}
    await database.import_logs.insert_one(log)
    async with gateway() as api:
        spec = (await api.get("/api/openapi.json")).json()
        assert spec["openapi"].startswith("3.1")
        assert {"ImportLogView", "FeedView", "JobView", "Problem"} <= set(spec["components"]["schemas"])
        [stored] = (await api.get("/api/jobs", headers=AUTH)).json()["items"]
        assert not {"_id", "content_hash"} & set(stored) and stored["created_run_id"] == "r1"
        shown = (await api.get("/api/imports/r1", headers=AUTH)).json()
        assert not {"_id", "counting", "version"} & set(shown)
        assert set(shown) == set(spec["components"]["schemas"]["ImportLogView"]["properties"])
