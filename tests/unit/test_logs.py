"""Log lines: JSON whoever writes them, and naming the run, feed and trigger they concern."""

import asyncio
import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from infra.logs import Concerning, JsonFormatter, concerning, identities_of
from launcher.processes import ROOT

Written = tuple[logging.Logger, io.StringIO]


@pytest.fixture
def written() -> Iterator[Written]:
    """A logger whose lines go through the services' formatter and filter into a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Concerning())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestConcerning:
    def test_a_line_logged_while_handling_a_run_names_it_and_only_then(self, written: Written) -> None:
        logger, stream = written
        with concerning(run_id="r1", feed_id="f1"), concerning(trigger_id="t1"):
            logger.info("inside")
        logger.info("after")
        inside, after = lines(stream)
        assert (inside["run_id"], inside["feed_id"], inside["trigger_id"]) == ("r1", "f1", "t1")
        assert not {"run_id", "feed_id", "trigger_id"} & set(after)

    def test_what_a_line_says_itself_wins_over_the_context(self, written: Written) -> None:
        logger, stream = written
        with concerning(run_id="r1"):
            logger.info("about another run", extra={"run_id": "r2"})
        assert lines(stream)[0]["run_id"] == "r2"

    async def test_tasks_and_threads_started_while_handling_a_run_keep_naming_it(
        self, written: Written
    ) -> None:
        logger, stream = written

        async def later() -> None:
            await asyncio.sleep(0)
            logger.info("in a task")

        with concerning(run_id="r1"):
            task = asyncio.create_task(later())  # the task copies the context it was created in
            await asyncio.to_thread(logger.info, "in a thread")
        await task
        assert [line.get("run_id") for line in lines(stream)] == ["r1", "r1"]

    def test_a_batch_of_one_run_names_it_and_a_mixed_batch_lists_them(self) -> None:
        one = [{"run_id": "r1", "feed_id": "f1", "trigger_id": "t1"}] * 3
        assert identities_of(one) == {"run_id": "r1", "feed_id": "f1", "trigger_id": "t1"}
        mixed = [*one, {"run_id": "r2", "feed_id": "f1", "trigger_id": "t1"}, b"poison", {"run_id": 7}]
        assert identities_of(mixed) == {"run_ids": ["r1", "r2"], "feed_id": "f1", "trigger_id": "t1"}
        assert identities_of([b"poison"]) == {}


def test_libraries_banners_warnings_and_a_crash_all_come_out_as_json_lines() -> None:
    program = """
import logging, warnings
import faststream  # sets up its own coloured handler for the "faststream" logger on import
from infra.logs import configure
configure("probe")
logging.getLogger("faststream").info("FastStream app starting...")
logging.getLogger("uvicorn.error").info("Started server process")
warnings.warn("a library is deprecated", DeprecationWarning, stacklevel=1)
raise RuntimeError("boom")
"""
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    entries = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]
    assert [entry["logger"] for entry in entries] == [
        "faststream",
        "uvicorn.error",
        "py.warnings",
        "uncaught",
    ]
    assert "a library is deprecated" in entries[2]["message"]
    assert "RuntimeError: boom" in entries[3]["exception"]
    assert "\x1b[" not in done.stdout + done.stderr  # no terminal colour codes
