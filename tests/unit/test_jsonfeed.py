"""JSON Feed 1.0 and 1.1: one more format, with the same items, normalization, limits and identity."""

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from schemas.events import ParseMode, RunStarted, Trigger
from schemas.job import Job
from services.fetcher.parse.items import MAX_FIELD_CHARACTERS
from services.fetcher.parse.stream import FeedParseError, ParsedFeed, parse_feed
from tests.conftest import read
from tests.feeds import Normalized, normalize_feed

HARBOUR = "synthetic_jsonfeed_1_1_jobs.json"
SOURCE = "jobs.harbourworks.example"
FeedOf = Callable[[str], ParsedFeed]
RUN = RunStarted(run_id="r", trigger_id="t", trigger=Trigger.API, feed_id="f", feed_url="u")


@cache
def harbour() -> Normalized:
    return normalize_feed(parse_feed(read(HARBOUR)), SOURCE, RUN)


def harbour_jobs() -> list[Job]:
    return harbour().jobs


def feed(*items: Any, version: str = "https://jsonfeed.org/version/1.1", **members: Any) -> bytes:
    return json.dumps({"version": version, "title": "Jobs", **members, "items": list(items)}).encode()


class TestTheSampleFeed:
    def test_it_is_read_as_a_json_feed_with_every_item(self, feed_of: FeedOf) -> None:
        parsed = feed_of(HARBOUR)
        assert (parsed.format, len(parsed.items), parsed.parse_mode, parsed.warnings) == (
            "json",
            5,
            ParseMode.STRICT,
            [],
        )

    def test_items_id_is_the_identity_and_the_url_is_canonical(self) -> None:
        job = harbour_jobs()[0]
        assert job.job_key == "jobs.harbourworks.example:hw-2026-0141"
        assert job.url == "https://jobs.harbourworks.example/roles/0141-senior-backend-engineer"

    def test_content_html_is_sanitized_and_its_labels_read(self) -> None:
        job = harbour_jobs()[0]
        assert job.description_html is not None and "<script>" not in job.description_html
        assert job.company is not None and job.company.name == "Harbour Works"
        assert job.salary is not None and (job.salary.min, job.salary.max, job.salary.currency) == (
            70000,
            85000,
            "GBP",
        )

    def test_content_text_stays_text_line_by_line(self) -> None:
        job = harbour_jobs()[1]
        assert job.description_text is not None
        assert job.description_text.splitlines()[-1].endswith(
            "safe & on time: lines, fenders, passengers < 300."
        )
        assert job.salary is not None and job.salary.raw == "£13.50 per hour"

    def test_dates_tags_and_external_urls_become_job_fields(self) -> None:
        first, _, third, *_ = harbour_jobs()
        assert first.date_posted is not None and first.date_posted.isoformat() == "2026-08-03T08:30:00+00:00"
        assert first.categories == ["Engineering", "Full Time", "Bristol, UK"]
        assert (third.url, third.categories) == (
            "https://partners.example/jobs/harbour-works/0143",
            ["Support"],
        )
        assert third.description_text == "Answer passengers by phone and chat, from home."

    def test_an_item_without_a_title_fails_alone(self) -> None:
        assert len(harbour().jobs) == 4
        assert [(status.reason_code, status.message) for status in harbour().invalid] == [
            ("missing_title", "item has no title")
        ]


class TestItemShape:
    def test_extensions_and_unknown_members_are_left_out(self) -> None:
        entry = {
            "id": "1",
            "title": "T",
            "_board": {"company": "Acme"},
            "banner_image": "https://e.com/b.png",
        }
        assert parse_feed(feed(entry)).items == [{"id": "1", "title": "T"}]

    def test_a_json_feed_1_0_with_a_number_id_and_one_author(self) -> None:
        entry = {"id": 1080, "title": "Welder", "url": "https://e.com/1080", "author": {"name": "Acme"}}
        parsed = parse_feed(feed(entry, version="https://jsonfeed.org/version/1"))
        assert parsed.items == [
            {"id": "1080", "title": "Welder", "link": "https://e.com/1080", "author": {"name": "Acme"}}
        ]

    def test_text_is_cleaned_as_xml_text_is(self) -> None:
        parsed = parse_feed(feed({"id": "1", "title": "\u200bSenior\u200c Dev\u2060eloper Ã©"}))
        assert parsed.items[0]["title"] == "Senior Developer é"
        assert parsed.warnings == ["repaired double-encoded UTF-8 x1"]

    def test_an_item_that_is_not_an_object_becomes_an_empty_item(self) -> None:
        assert parse_feed(feed("just a string", {"id": "2"})).items == [{}, {"id": "2"}]


class TestSelection:
    def test_a_body_that_opens_with_a_brace_is_json_whatever_it_is_served_as(self) -> None:
        body = b"\xef\xbb\xbf \n" + feed({"id": "1", "title": "T"})
        assert parse_feed(body, content_type="text/plain").format == "json"

    @pytest.mark.parametrize("content_type", ["application/feed+json", "application/json"])
    def test_the_json_media_types_select_it_too(self, content_type: str) -> None:
        with pytest.raises(FeedParseError, match="not valid JSON"):
            parse_feed(b"[]", content_type=content_type)

    def test_xml_served_as_json_is_still_read_as_xml(self) -> None:
        parsed = parse_feed(b"<jobs><job><title>T</title></job></jobs>", content_type="application/json")
        assert parsed.format == "jobs"

    def test_json_that_is_not_a_json_feed_is_refused(self) -> None:
        with pytest.raises(FeedParseError, match="not a job feed: JSON with no version"):
            parse_feed(b'{"jobs": []}')
        with pytest.raises(FeedParseError, match=r"version 'https://example\.org/v2'"):
            parse_feed(feed(version="https://example.org/v2"))

    def test_the_version_may_come_after_the_items(self) -> None:
        body = b'{"items": [{"id": "1", "title": "T"}], "version": "https://jsonfeed.org/version/1.1"}'
        assert parse_feed(body).items == [{"id": "1", "title": "T"}]

    def test_the_http_charset_is_respected(self) -> None:
        body = feed({"id": "1", "title": "Café"}).decode("unicode_escape").encode("cp1252")
        assert parse_feed(body, charset="windows-1252").items[0]["title"] == "Café"


class TestLimitsAndDamage:
    def test_items_past_max_items_are_dropped_with_the_xml_warning(self) -> None:
        parsed = parse_feed(feed(*({"id": str(n)} for n in range(12))), max_items=10)
        assert [entry["id"] for entry in parsed.items] == [str(n) for n in range(10)]
        assert parsed.warnings == ["feed has more than 10 items: kept the first 10"]

    def test_an_oversized_value_is_cut_at_1_mib_with_a_warning_naming_it(self) -> None:
        parsed = parse_feed(feed({"id": "1", "content_html": "x" * (MAX_FIELD_CHARACTERS + 5)}))
        assert len(parsed.items[0]["content"]) == MAX_FIELD_CHARACTERS
        assert parsed.warnings == ["truncated field 'content_html' to 1 MiB x1"]

    def test_a_body_cut_short_keeps_the_items_before_the_cut(self) -> None:
        body = feed({"id": "1", "title": "A"}, {"id": "2", "title": "B"})
        parsed = parse_feed(body[: body.index(b'"B"')])
        assert (parsed.items, parsed.parse_mode) == ([{"id": "1", "title": "A"}], ParseMode.RECOVERED)
        assert len(parsed.warnings) == 1
        assert parsed.warnings[0].startswith("JSON unreadable after 1 items, rest skipped: Expecting value")

    def test_broken_json_before_any_item_is_an_error_naming_where(self) -> None:
        with pytest.raises(FeedParseError, match=r"not valid JSON: Expecting ':': line 1 column 12"):
            parse_feed(b'{"version" "https://jsonfeed.org/version/1.1"}')

    def test_nesting_too_deep_is_refused(self) -> None:
        deep = "[" * 100_000 + "]" * 100_000
        body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"_x": ' + deep.encode() + b"}]}"
        with pytest.raises(FeedParseError, match="refused JSON nested too deep"):
            parse_feed(body)
