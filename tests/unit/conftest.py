from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from schemas.job import Job
from services.fetcher.normalize import normalize_item
from services.fetcher.parse.stream import ParsedFeed, parse_feed
from services.fetcher.registry import source_of

DATA = Path(__file__).parent.parent / "data"


# Cached: the big sample feeds are read by many tests, and no test mutates what it gets.
@cache
def read_feed(name: str) -> ParsedFeed:
    return parse_feed((DATA / name).read_bytes())


@cache
def sample_jobs(name: str, feed_url: str) -> list[Job]:
    parsed = read_feed(name)
    return [normalize_item(item, parsed.format, source_of(feed_url)) for item in parsed.items]


@pytest.fixture
def jobs_of() -> Callable[[str, str], list[Job]]:
    return sample_jobs


@pytest.fixture
def feed_of() -> Callable[[str], ParsedFeed]:
    return read_feed
