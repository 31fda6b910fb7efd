"""Where a feed lives: its host (rate limits and turns are per host) and its site, the `source`
its jobs' keys derive from (DESIGN "Identity": `jobicy.com`, not the full feed URL)."""

from urllib.parse import urlsplit


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def source_of(feed_url: str) -> str:
    host = (urlsplit(feed_url.strip()).hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"feed URL has no host: {feed_url!r}")
    return host.removeprefix("www.")
