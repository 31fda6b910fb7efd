"""The gateway's API contract: request bodies, read models and the problem body of every error.

Read models list what a client may rely on; stored documents carry more (the processor's hashes,
the logger's counting bookkeeping, the fetcher's HTTP validators) and none of it leaves the API.
"""

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator

from schemas.events import ImportLog, JobStatus, Trigger
from schemas.feeds import Bytes, Feed, FetchState, FieldMap, Minutes, Source
from schemas.job import Job

Item = TypeVar("Item")


def _iso_time(value: object) -> datetime:
    """Only ISO 8601 date-times: pydantic would also read "0.5" as a Unix time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and "T" in value.upper():
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("expected an ISO 8601 date and time, e.g. 2026-12-01T09:30:00Z")


Moment = Annotated[datetime, BeforeValidator(_iso_time)]


class View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Page(View, Generic[Item]):
    """Newest first. `next_cursor` fetches the next (older) page; null on the last page."""

    items: list[Item]
    next_cursor: str | None = None


class ImportLogView(ImportLog):
    """One run of one feed: what was fetched and what became of every job, with exact counts."""


class LastRun(View):
    """The newest run of a feed, in short: its counts and how long it took."""

    run_id: str
    status: str
    started_at: datetime | None = None
    duration_ms: int | None = None
    expected_statuses: int | None = None
    total_fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None


class FeedView(Feed, FetchState, View):
    """A registry entry and its health. Secrets in `url` and `previous_url` are redacted.

    `paused_seconds`: how long the feed's host stays paused after a 429/503 (0: not paused);
    `next_check_at` is null for a feed never checked, which is due at once.
    """

    origin: Literal["file", "api"] = "file"
    previous_url: str | None = None
    paused_seconds: float = 0
    last_run: LastRun | None = None


class JobStatusView(JobStatus, View):
    """What one run did with one job: its outcome, and for a failure the reason code and message."""


class JobView(Job):
    """A stored job: the normalized posting, when it was first seen and last changed, and by which runs."""

    first_seen_at: datetime | None = None
    changed_at: datetime | None = None
    created_run_id: str | None = None
    changed_run_id: str | None = None


class DeadLetterTopic(View):
    """A pipeline topic's dead letters (`<source_topic>.dlq`): how many are kept, how many were redriven."""

    source_topic: str
    count: int
    redriven: int


class DeadLetterView(View):
    """A message a service could not take, as it was received, and why; `body` is its start, as text."""

    partition: int
    offset: int
    at: datetime
    key: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    reason: str
    attempt: int
    redriven: bool
    body: str
    body_truncated: bool


class ImportRequest(BaseModel):
    """Feed ids or URLs; empty means every enabled feed."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[str] = Field(default_factory=list, max_length=1000)
    trigger: Literal[Trigger.MANUAL, Trigger.API] = Trigger.API


class ImportAccepted(BaseModel):
    trigger_id: str


def web_address(url: object) -> object:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is not None and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ValueError("url must be an http or https address with a host")
    return url


# The same rule as a pattern, so that the OpenAPI document states it: ASCII only (a host in
# punycode, other characters percent-encoded), with classes that mean the same in every regex engine.
WebAddress = Annotated[
    str,
    Field(
        pattern=r"^https?://([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?[A-Za-z0-9._~%!$&'()*+,;=-]+(:[0-9]{1,5})?([/?#][!-~]*)?$",
        max_length=2000,
    ),
]


class FeedEntry(Feed):
    """A new feed: unknown fields and non-web addresses are refused."""

    model_config = ConfigDict(extra="forbid")

    url: WebAddress
    _web_address = field_validator("url", mode="before")(web_address)


class FeedChange(BaseModel):
    """The registry fields to change; the id cannot change."""

    model_config = ConfigDict(extra="forbid")

    url: WebAddress | None = None
    interval_minutes: Minutes | None = None
    enabled: StrictBool | None = None
    source: Source | None = None
    max_bytes: Bytes | None = None
    field_map: FieldMap | None = None

    _web_address = field_validator("url", mode="before")(web_address)


class InvalidField(BaseModel):
    """`pointer` (RFC 6901, into the body) or `parameter` (query or path) names what is wrong."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[InvalidField] | None = None
