"""HTML pages that advertise a feed: is the body such a page, and which feed does it advertise.

Sites name their feeds in the page's head, `<link rel="alternate" type="application/rss+xml"
href="...">`; feed readers follow the first one, and so do we (the caller fetches it once, with
the same limits and address checks as any feed). Only the head is read, at most HEAD_BYTES.
"""

import codecs
import re
from html.parser import HTMLParser
from typing import IO
from urllib.parse import urljoin, urlsplit

from services.fetcher.parse.hardened import FeedParseError

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
HEAD_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
HTML_PAGE = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
    re.IGNORECASE | re.DOTALL,
)


def is_html_page(head: bytes) -> bool:
    """An HTML page, by what it starts with: a feed served as text/html is still a feed."""
    return HTML_PAGE.match(head) is not None


def advertised_feed(page: IO[bytes], page_url: str) -> str:
    """The absolute URL of the first feed the page advertises; `page` is left at its start."""
    links, decoder = _FeedLinks(page_url), codecs.getincrementaldecoder("utf-8")("replace")
    page.seek(0)
    while not (links.found or links.head_read) and page.tell() < HEAD_BYTES:
        chunk = page.read(CHUNK_BYTES)
        if not chunk:
            break
        links.feed(decoder.decode(chunk))
    page.seek(0)
    if links.found is None:
        raise FeedParseError('not a job feed: an HTML page that advertises no feed (<link rel="alternate">)')
    return links.found


class _FeedLinks(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.base, self.head_read = page_url, False
        self.found: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: (value or "").strip() for name, value in attrs}
        if tag == "base" and attributes.get("href"):
            self.base = urljoin(self.base, attributes["href"])
        elif tag == "link" and not (self.found or self.head_read) and _advertises_feed(attributes):
            url = urljoin(self.base, attributes["href"])
            self.found = url if urlsplit(url).scheme in ("http", "https") else None
        elif tag == "body":
            self.head_read = True

    def handle_endtag(self, tag: str) -> None:
        self.head_read = self.head_read or tag == "head"


def _advertises_feed(attributes: dict[str, str]) -> bool:
    kind = attributes.get("type", "").partition(";")[0].strip().lower()
    return (
        "alternate" in attributes.get("rel", "").lower().split()
        and kind in FEED_TYPES
        and bool(attributes.get("href"))
    )
