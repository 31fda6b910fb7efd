"""Feed body → raw items, streamed in batches: XML (strict, repaired or item by item) or JSON Feed;
and for an HTML page, the feed it advertises."""

from services.fetcher.parse.discover import advertised_feed, is_html_page
from services.fetcher.parse.hardened import FeedParseError
from services.fetcher.parse.stream import FeedStream, stream_feed

__all__ = ["FeedParseError", "FeedStream", "advertised_feed", "is_html_page", "stream_feed"]
