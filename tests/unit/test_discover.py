"""Feed discovery: an HTML page is recognised, and the first feed its head advertises is found."""

import io

import pytest

from services.fetcher.parse.discover import HEAD_BYTES, advertised_feed, is_html_page
from services.fetcher.parse.stream import FeedParseError
from tests.conftest import read

CAREERS = read("synthetic_careers_page_with_feed_links.html")
PAGE_URL = "https://jobs.techcorridor.io/careers"


def page(head: str, body: str = "") -> io.BytesIO:
    return io.BytesIO(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode())


def link(kind: str, href: str, rel: str = "alternate") -> str:
    return f'<link rel="{rel}" type="{kind}" href="{href}">'


class TestHtmlPages:
    @pytest.mark.parametrize(
        "head",
        [
            CAREERS[:1024],
            b"\xef\xbb\xbf\n<html lang='en'><head>",
            b'<?xml version="1.0"?>\n<!-- cached -->\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">',
        ],
    )
    def test_pages_are_known_by_how_they_start(self, head: bytes) -> None:
        assert is_html_page(head)

    @pytest.mark.parametrize(
        "head",
        [
            b'<?xml version="1.0"?><rss version="2.0"><channel><description><html>',
            b'<feed xmlns="http://www.w3.org/2005/Atom">',
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "<html>"}',
        ],
    )
    def test_feeds_are_not_pages_even_with_html_inside(self, head: bytes) -> None:
        assert not is_html_page(head)


class TestAdvertisedFeed:
    def test_the_first_feed_link_is_the_feed_resolved_against_the_page(self) -> None:
        assert advertised_feed(io.BytesIO(CAREERS), PAGE_URL) == "https://jobs.techcorridor.io/positions.atom"

    @pytest.mark.parametrize("kind", ["application/rss+xml", "application/feed+json", "Application/Atom+XML"])
    def test_each_feed_type_is_followed(self, kind: str) -> None:
        assert (
            advertised_feed(page(link(kind, "/jobs/feed")), PAGE_URL)
            == "https://jobs.techcorridor.io/jobs/feed"
        )

    def test_links_that_are_not_feeds_are_passed_over(self) -> None:
        head = (
            link("application/json", "/wp-json/wp/v2/pages/12")
            + link("application/rss+xml", "/comments", rel="stylesheet")
            + '<link rel="alternate" hreflang="de" href="/de/">'
            + link("application/rss+xml", "ftp://jobs.example/feed.rss")
            + link("application/rss+xml", "https://feeds.example.net/jobs")
        )
        assert advertised_feed(page(head), PAGE_URL) == "https://feeds.example.net/jobs"

    def test_a_base_element_sets_what_relative_links_resolve_against(self) -> None:
        head = '<base href="https://cdn.example.org/site/">' + link("application/atom+xml", "jobs.atom")
        assert advertised_feed(page(head), PAGE_URL) == "https://cdn.example.org/site/jobs.atom"

    def test_the_page_is_left_at_its_start_for_whoever_reads_it_next(self) -> None:
        body = page(link("application/rss+xml", "/feed"))
        advertised_feed(body, PAGE_URL)
        assert body.tell() == 0

    def test_a_page_without_a_feed_link_is_not_a_job_feed(self) -> None:
        with pytest.raises(FeedParseError, match="not a job feed: an HTML page that advertises no feed"):
            advertised_feed(page("<title>Jobs</title>"), PAGE_URL)

    def test_links_in_the_body_are_not_read(self) -> None:
        with pytest.raises(FeedParseError, match="advertises no feed"):
            advertised_feed(page("", body=link("application/rss+xml", "/feed")), PAGE_URL)

    def test_only_the_head_of_a_huge_page_is_read(self) -> None:
        huge = io.BytesIO(b"<!DOCTYPE html><html><head>" + b"<meta name=x>" * (HEAD_BYTES // 10))
        with pytest.raises(FeedParseError, match="advertises no feed"):
            advertised_feed(huge, PAGE_URL)
        assert huge.tell() == 0
