"""Structured logs: one JSON object per line on stderr, whoever logs (libraries and warnings too),
with the run, feed and trigger a line concerns taken from the context it was logged in."""

import contextlib
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import Any

# `color_message`: uvicorn's copy of the message with terminal colour codes.
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "color_message"}
IDENTITIES = ("run_id", "feed_id", "trigger_id")
MAX_LISTED = 20  # a batch spanning more runs than this lists the first ones
# Libraries that set up their own handlers (FastStream's coloured lines, uvicorn's): theirs are
# removed so that their records reach the root's JSON handler like any other.
OWN_HANDLERS = ("faststream", "faststream.access", "uvicorn", "uvicorn.error", "uvicorn.access")

_concerning: ContextVar[Mapping[str, Any]] = ContextVar("concerning", default=MappingProxyType({}))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class Concerning(logging.Filter):
    """Adds the identities of the context (`concerning`) to each record that does not name its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _concerning.get().items():
            if name not in record.__dict__:
                setattr(record, name, value)
        return True


@contextlib.contextmanager
def concerning(**identities: Any) -> Iterator[None]:
    """Every line logged inside the block (and in tasks it starts) carries these identities."""
    token = _concerning.set({**_concerning.get(), **{k: v for k, v in identities.items() if v}})
    try:
        yield
    finally:
        _concerning.reset(token)


def identities_of(bodies: Iterable[Any]) -> dict[str, Any]:
    """A batch's runs, feeds and triggers: `run_id` when all its events share one, else `run_ids`."""
    found: dict[str, dict[str, None]] = {name: {} for name in IDENTITIES}
    for body in bodies:
        if isinstance(body, dict):
            for name in IDENTITIES:
                if isinstance(value := body.get(name), str) and value:
                    found[name][value] = None
    named: dict[str, Any] = {}
    for name, values in found.items():
        if len(values) == 1:
            named[name] = next(iter(values))
        elif values:
            named[f"{name}s"] = list(values)[:MAX_LISTED]
    return named


def configure(service: str, level: str = "INFO") -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Concerning())  # on the handler: it sees every logger's records
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in OWN_HANDLERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    logging.captureWarnings(True)  # `warnings` go to the "py.warnings" logger, hence JSON
    sys.excepthook = _log_uncaught
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO, query tokens included; the fetcher logs redacted ones.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return logging.getLogger(service)


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """A crash at the top, too, is one JSON line rather than a bare traceback."""
    logging.getLogger("uncaught").critical("service crashed", exc_info=(kind, error, trace))
