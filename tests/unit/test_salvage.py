"""Feeds broken inside their items: each item is read on its own, and only broken ones are lost."""

from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import ParseMode
from schemas.job import Job
from services.fetcher.normalize import normalize_item
from services.fetcher.parse import stream as parse
from services.fetcher.parse.hardened import MAX_DEPTH
from services.fetcher.parse.salvage import MAX_DAMAGE_WARNINGS
from services.fetcher.parse.stream import FeedParseError, ParsedFeed, parse_feed

UNCLOSED_URL = Path(__file__).parent.parent / "data" / "synthetic_football_jobs_unclosed_url.xml"
FeedOf = Callable[[str], ParsedFeed]


def rss(items: str) -> bytes:
    return f'<rss version="2.0">\n<channel><title>t</title><ttl>30</ttl>\n{items}</channel>\n</rss>'.encode()


def item(number: int, inside: str = "") -> str:
    return f"<item><title>Job {number}</title><guid>g-{number}</guid>{inside}</item>\n"


def titles(parsed: ParsedFeed) -> list[str]:
    return [entry["title"] for entry in parsed.items]


class TestAnExportWithAnUnclosedElement:
    @pytest.fixture
    def parsed(self, feed_of: FeedOf) -> ParsedFeed:
        return feed_of(UNCLOSED_URL.name)

    def test_every_job_but_the_broken_one_is_read(self, parsed: ParsedFeed) -> None:
        assert (parsed.format, len(parsed.items)) == ("jobs", 17)
        assert "8071100" not in [entry["id"] for entry in parsed.items]  # the job whose <url> is unclosed

    def test_the_run_says_recovered_and_names_the_line(self, parsed: ParsedFeed) -> None:
        assert parsed.parse_mode == ParseMode.RECOVERED
        assert parsed.warnings == ["dropped the broken item at line 5: mismatched tag at line 34"]

    def test_the_jobs_read_are_the_jobs_a_well_formed_export_gives(self, parsed: ParsedFeed) -> None:
        fixed = UNCLOSED_URL.read_bytes().replace(b"kit-assistant\n", b"kit-assistant</url>\n", 1)
        well_formed = parse_feed(fixed)
        assert well_formed.warnings == [] and len(well_formed.items) == 18
        assert parsed.items == well_formed.items[1:]

    def test_each_job_keeps_its_own_identity(self, parsed: ParsedFeed) -> None:
        jobs: list[Job] = [normalize_item(entry, parsed.format, "careers.example") for entry in parsed.items]
        assert jobs[0].job_key == "careers.example:url-5f1c0a01e9b47d21-8071107"
        assert jobs[0].url == "https://careers.brentfordfc.com/jobs/8071107-academy-physiotherapist"
        assert len({job.job_key for job in jobs}) == 17


class TestBrokenItems:
    def test_an_item_left_unclosed_loses_itself_not_the_items_after_it(self) -> None:
        body = rss(item(1) + "<item><title>Job 2</title><guid>g-2</guid>\n" + item(3) + item(4))
        parsed = parse_feed(body)
        assert titles(parsed) == ["Job 1", "Job 3", "Job 4"]
        assert parsed.warnings == ["dropped the broken item at line 4: <item> not closed before the next one"]

    def test_a_stray_end_tag_loses_only_its_item(self) -> None:
        parsed = parse_feed(rss(item(1, "</url>") + item(2)))
        assert titles(parsed) == ["Job 2"]
        assert parsed.warnings == ["dropped the broken item at line 3: mismatched tag at line 3"]

    def test_several_broken_items_are_each_named(self) -> None:
        parsed = parse_feed(rss(item(1, "<url>") + item(2) + item(3, "<b>") + item(4)))
        assert titles(parsed) == ["Job 2", "Job 4"]
        assert parsed.warnings == [
            "dropped the broken item at line 3: mismatched tag at line 3",
            "dropped the broken item at line 5: mismatched tag at line 5",
        ]

    def test_the_channel_facts_before_the_items_are_kept(self) -> None:
        parsed = parse_feed(rss(item(1, "<url>") + item(2)))
        assert (parsed.format, parsed.ttl_minutes) == ("rss", 30)

    def test_damage_between_items_loses_nothing_and_is_reported(self) -> None:
        parsed = parse_feed(rss(item(1) + "</junk>\n" + item(2) + item(3, "<url>")))
        assert titles(parsed) == ["Job 1", "Job 2"]
        assert parsed.warnings == [
            "skipped XML unreadable even after repair: mismatched tag at line 4",
            "dropped the broken item at line 6: mismatched tag at line 6",
        ]

    def test_item_tags_inside_cdata_and_comments_do_not_cut_an_item(self) -> None:
        inside = "<description><![CDATA[<item> is an HTML-ish word]]></description><!-- <item> -->"
        parsed = parse_feed(rss(item(1, inside) + item(2, "<url>")))
        assert titles(parsed) == ["Job 1"]
        assert parsed.items[0]["description"] == "<item> is an HTML-ish word"

    def test_prefixed_roots_and_items_are_read_as_written(self) -> None:
        body = (
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns:rss="http://purl.org/rss/1.0/">\n<rss:channel><rss:title>t</rss:title></rss:channel>\n'
            b'<rss:item rdf:about="https://e.com/1"><rss:title>One</rss:title><b></rss:item>\n'
            b'<rss:item rdf:about="https://e.com/2"><rss:title>Two</rss:title></rss:item>\n</rdf:RDF>'
        )
        parsed = parse_feed(body)
        assert parsed.items == [{"@about": "https://e.com/2", "title": "Two"}]
        assert parsed.warnings == ["dropped the broken item at line 3: mismatched tag at line 3"]

    def test_repairs_and_item_by_item_reading_work_together(self) -> None:
        parsed = parse_feed(
            rss(item(1, "<note>R&D</note>") + item(2, "<url>") + item(3, "<p>caf&eacute;</p>"))
        )
        assert titles(parsed) == ["Job 1", "Job 3"]
        assert parsed.items[1]["p"] == "café"
        assert parsed.warnings == [
            "recovered malformed XML: escaped bare '&' x1; replaced HTML entity &eacute; x1",
            "dropped the broken item at line 4: mismatched tag at line 4",
        ]

    def test_the_same_items_and_warnings_whatever_the_read_chunk_size(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        body = rss(item(1, "<x>&amp; R&D</x><!-- <item> -->") + item(2, "<url>") + item(3) + item(4, "</y>"))
        whole = parse_feed(body)
        for size in (1, 3, 7, 64):
            monkeypatch.setattr(parse, "CHUNK_BYTES", size)
            assert parse_feed(body) == whole
        assert titles(whole) == ["Job 1", "Job 3"]

    def test_a_feed_whose_only_item_is_broken_is_still_an_error(self) -> None:
        with pytest.raises(FeedParseError, match="not well-formed XML even after repair: mismatched tag"):
            parse_feed(rss(item(1, "<url>")))

    def test_warnings_stop_at_a_bound_and_say_how_many_more(self) -> None:
        broken = MAX_DAMAGE_WARNINGS + 5
        parsed = parse_feed(rss("".join(item(n, "<url>") for n in range(broken)) + item(broken)))
        assert titles(parsed) == [f"Job {broken}"]
        assert len(parsed.warnings) == MAX_DAMAGE_WARNINGS + 1
        assert parsed.warnings[-1] == "... and 5 more"


class TestHostileBrokenFeeds:
    def test_nesting_past_the_bound_after_the_damage_is_still_refused(self) -> None:
        deep = "<a>" * (MAX_DEPTH + 1) + "</a>" * (MAX_DEPTH + 1)
        with pytest.raises(FeedParseError, match=f"nested deeper than {MAX_DEPTH}"):
            parse_feed(rss(item(1, "<url>") + item(2, deep)))

    def test_an_entity_declaration_is_refused_before_any_item_is_read(self) -> None:
        body = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]>' + rss(
            item(1, "<url>") + item(2, "&x;")
        )
        with pytest.raises(FeedParseError, match="declares entities"):
            parse_feed(body)

    def test_a_doctype_inside_the_items_cannot_declare_anything(self) -> None:
        parsed = parse_feed(rss(item(1, "<url>") + item(2, '<!DOCTYPE x [<!ENTITY x "y">]>') + item(3)))
        assert titles(parsed) == ["Job 3"]
        assert (
            parsed.warnings[1]
            == "dropped the broken item at line 4: not well-formed (invalid token) at line 4"
        )
