"""The four services as processes against the real stack, importing feeds from a local HTTP server."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from launcher.feed_server import FeedServer
from launcher.processes import Services, free_port
from tests.conftest import DATA

FEEDS = {"wwr-remote": "wwr_remote_jobs_2022.rss", "wwr-back-end": "wwr_back_end_2022.rss"}


@contextlib.contextmanager
def running_services(
    namespace: dict[str, str], tmp_path: Path, directory: Path, feeds: dict[str, str], **env: str
) -> Iterator[Services]:
    """The four services importing `feeds` (feed id -> file in `directory`, served on loopback).

    A file named "localhost/<file>" is served by the same server under the host name localhost,
    which the fetcher's politeness counts as a host of its own.
    """
    with FeedServer(directory, conditional=False) as feed_server:
        registry = [{"id": feed_id, "url": _address(feed_server, name)} for feed_id, name in feeds.items()]
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(yaml.safe_dump({"feeds": registry}))
        settings = namespace | {
            "FEEDS_FILE": str(feeds_file),
            "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
            "SCHEDULER_ENABLED": "false",
            "FETCH_HOST_REQUESTS_PER_MINUTE": "60000",  # politeness has its own test
            "LOG_LEVEL": "INFO",
        }
        with Services(settings | env, tmp_path / "logs", free_port()).running() as running:
            yield running


def _address(feed_server: FeedServer, name: str) -> str:
    host, _, file = name.rpartition("/")
    return feed_server.url(file).replace("127.0.0.1", host, 1) if host else feed_server.url(name)


@pytest.fixture
def services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    with running_services(namespace, tmp_path, DATA, FEEDS) as running:
        yield running
