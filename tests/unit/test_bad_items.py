"""Bad items fail alone: an item that breaks normalization, a job too large or impossible to encode
becomes that item's failed status, with a reason; the rest of the feed goes on."""

import json
import logging
from typing import Any

import pydantic_core
import pytest

from schemas.events import JobFetched, Outcome, RunStarted, Trigger
from schemas.job import Job
from services.fetcher.normalize import FeedNormalizer, normalize_item
from services.fetcher.normalize.feed import MAX_ITEM_WARNINGS
from services.fetcher.parse.stream import parse_feed
from services.fetcher.wire import sendable

RUN = RunStarted(run_id="run-1", trigger_id="t", trigger=Trigger.API, feed_id="f", feed_url="https://e.com/f")
LIMIT = 1_000_000
CJK = "職務内容" * 50_000  # 200,000 characters, 600,000 bytes of UTF-8


def json_feed(*items: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON Feed items as the parser reads them; `\\ud800` in the text stays a lone surrogate."""
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": list(items)})
    return parse_feed(body.encode()).items


def job(guid: str, title: str = "Engineer", description: str = "<p>Build things.</p>") -> Job:
    return normalize_item({"guid": guid, "title": title, "description": description}, "rss", "e.com")


def fetched(*jobs: Job) -> list[tuple[str, JobFetched]]:
    return [(j.job_key, JobFetched(run_id="run-1", trigger_id="t", feed_id="f", job=j)) for j in jobs]


class TestJobsTheBrokerWouldRefuse:
    def test_a_job_over_the_limit_fails_alone_with_its_encoded_size(self) -> None:
        events = fetched(job("a"), job("cjk", description=f"<p>{CJK}</p>"), job("b"))

        fitting, [failed] = sendable(events, LIMIT)

        assert [key for key, _ in fitting] == ["e.com:a", "e.com:b"]
        size = len(events[1][1].model_dump_json().encode())
        assert size > 2 * 600_000  # the description twice, as HTML and as text, three bytes a character
        assert (failed.job_key, failed.reason_code) == ("e.com:cjk", "too_large")
        assert failed.message == f"the job is {size:,} bytes encoded; the limit is 1,000,000"
        assert (failed.outcome, failed.run_id, failed.trigger_id, failed.feed_id) == (
            Outcome.FAILED,
            "run-1",
            "t",
            "f",
        )

    def test_the_limit_is_on_the_bytes_sent_and_a_job_of_exactly_the_limit_goes(self) -> None:
        events = fetched(job("a", title="Ingénieur " + "é" * 1000))
        size = len(pydantic_core.to_json(events[0][1]))

        assert sendable(events, size) == (events, [])
        assert sendable(events, size - 1)[1][0].reason_code == "too_large"

    def test_a_job_that_cannot_be_encoded_fails_alone_and_its_status_can(self) -> None:
        items = json_feed(
            {"id": "1", "title": "Engineer"},
            {"id": "2\ud800", "title": "Engineer \ud800"},  # lone surrogates: valid JSON, no UTF-8
        )
        events = fetched(*(normalize_item(item, "json", "e.com") for item in items))

        fitting, [failed] = sendable(events, LIMIT)

        assert [key for key, _ in fitting] == ["e.com:1"]
        assert (failed.reason_code, failed.message) == (
            "encode_error",
            "the job could not be encoded: PydanticSerializationError",
        )
        assert failed.job_key == "e.com:2\\ud800"
        assert json.loads(pydantic_core.to_json(failed))["job_key"] == "e.com:2\\ud800"


class TestItemsThatBreakNormalization:
    def test_an_item_that_raises_fails_alone_naming_the_exception(self, caplog: Any) -> None:
        items = json_feed(
            {"id": "1", "title": "Engineer"},
            {"id": "2", "title": "Engineer", "content_html": "<p>Pay \ud800</p>"},  # the sanitizer refuses it
            {"id": "3", "title": "Designer"},
        )
        normalizer = FeedNormalizer("e.com", "json", RUN)

        with caplog.at_level(logging.ERROR, "services.fetcher.normalize"):
            jobs, [failed] = normalizer.batch(items)

        assert [j.job_key for j in jobs] == ["e.com:1", "e.com:3"]
        assert (failed.job_key, failed.outcome, failed.reason_code) == (
            "e.com:invalid:1",
            Outcome.FAILED,
            "normalize_error",
        )
        assert failed.message == "the item could not be normalized: UnicodeEncodeError"
        [record] = caplog.records
        assert record.exc_info is not None and record.exc_info[0] is UnicodeEncodeError

    def test_positions_run_on_across_batches_so_failures_never_share_a_key(self) -> None:
        broken = {"id": "x", "title": "Engineer", "content_html": "\ud800"}
        normalizer = FeedNormalizer("e.com", "json", RUN)

        _, first = normalizer.batch(json_feed(broken, {"id": "1", "title": "Engineer"}))
        _, second = normalizer.batch(json_feed(broken))

        assert [s.job_key for s in first + second] == ["e.com:invalid:0", "e.com:invalid:2"]


class TestWarningsStaySmall:
    def test_warnings_about_items_are_listed_up_to_a_cap_then_counted(self) -> None:
        items = [
            {"guid": f"g{n}", "title": "T", "pubDate": "next Tuesday"} for n in range(MAX_ITEM_WARNINGS + 50)
        ]
        normalizer = FeedNormalizer("e.com", "rss", RUN)

        normalizer.batch(items[:70])
        normalizer.batch(items[70:])

        assert len(normalizer.warnings) == MAX_ITEM_WARNINGS + 1
        assert normalizer.warnings[0] == "e.com:g0: unparseable date 'next Tuesday'"
        assert normalizer.warnings[-1] == "50 more warnings about items, not listed"

    @pytest.mark.parametrize("size", [101, 1_048_576])
    def test_a_long_unparseable_value_is_quoted_by_its_start(self, size: int) -> None:
        warnings: list[str] = []
        normalize_item({"guid": "g", "title": "T", "pubDate": "9" * size}, "rss", "e.com", warnings)

        assert warnings == [f"e.com:g: unparseable date {'9' * 100!r}... ({size:,} characters)"]
