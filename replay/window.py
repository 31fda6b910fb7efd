"""What a command acts on: a topic, a time window and the ids to match. Pure: no I/O."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SelectionError(ValueError):
    """Bad input: the command stops before reading or writing anything (exit code 2)."""


def parse_moment(text: str, now: datetime) -> datetime:
    """An ISO time (UTC when no offset is given) or a time ago such as `2h`, `30m`, `7d`."""
    if match := RELATIVE.match(text.strip()):
        return now - timedelta(**{UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SelectionError(f"{text!r} is neither an ISO time nor a time ago like 2h") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Identity:
    """The ids a message names, whichever event it is."""

    run_id: str | None
    feed_id: str | None
    trigger_id: str | None
    job_key: str | None


def identity_of(body: Any) -> Identity:
    if not isinstance(body, dict):
        return Identity(None, None, None, None)
    job = body.get("job")
    job_key = body.get("job_key") or (job.get("job_key") if isinstance(job, dict) else None)
    return Identity(body.get("run_id"), body.get("feed_id"), body.get("trigger_id"), job_key)


@dataclass(frozen=True)
class Selection:
    topic: str  # without the deployment's prefix
    since: datetime | None = None
    until: datetime | None = None
    runs: frozenset[str] = field(default_factory=frozenset)
    feed: str | None = None
    trigger: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise SelectionError(
                f"--since {self.since.isoformat()} is after --until {self.until.isoformat()}"
            )

    @property
    def narrowed(self) -> bool:
        """Whether ids narrow the window: then not every message of it is acted on."""
        return bool(self.runs or self.feed or self.trigger or self.key)

    @property
    def whole_topic(self) -> bool:
        return not self.narrowed and self.since is None and self.until is None

    def matches(self, identity: Identity) -> bool:
        return (
            (not self.runs or identity.run_id in self.runs)
            and (self.feed is None or identity.feed_id == self.feed)
            and (self.trigger is None or identity.trigger_id == self.trigger)
            and (self.key is None or identity.job_key == self.key)
        )
