"""Events on the wire: past-tense names, JSON, additive evolution, unknown fields ignored."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.job import Job


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    API = "api"
    REPLAY = "replay"


class ImportRequested(Event):
    """Someone asked for feeds to be imported. Empty `feeds` means every enabled feed."""

    trigger_id: str
    trigger: Trigger
    feeds: list[str] = Field(default_factory=list)
    requested_at: datetime = Field(default_factory=utc_now)


class RunEvent(Event):
    run_id: str
    trigger_id: str
    trigger: Trigger
    feed_id: str
    feed_url: str


class RunStarted(RunEvent):
    event: Literal["run_started"] = "run_started"
    started_at: datetime = Field(default_factory=utc_now)


class ParseMode(StrEnum):
    STRICT = "strict"
    RECOVERED = "recovered"


class RunFetched(RunEvent):
    """The feed was fetched and parsed; `expected_statuses` statuses will follow on jobs.status."""

    event: Literal["run_fetched"] = "run_fetched"
    expected_statuses: int
    total_fetched: int
    duplicates: int = 0
    http_status: int | None = None
    not_modified: bool = False
    bytes: int = 0
    parse_mode: ParseMode = ParseMode.STRICT
    warnings: list[str] = Field(default_factory=list)
    fetched_at: datetime = Field(default_factory=utc_now)


class RunFailed(RunEvent):
    """The feed could not be fetched or parsed; no job statuses will follow."""

    event: Literal["run_failed"] = "run_failed"
    error: str
    http_status: int | None = None
    failed_at: datetime = Field(default_factory=utc_now)


RunLifecycleEvent = Annotated[RunStarted | RunFetched | RunFailed, Field(discriminator="event")]
run_event_adapter: TypeAdapter[RunStarted | RunFetched | RunFailed] = TypeAdapter(RunLifecycleEvent)


class JobFetched(Event):
    run_id: str
    trigger_id: str
    feed_id: str
    job: Job
    fetched_at: datetime = Field(default_factory=utc_now)


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class JobStatus(Event):
    run_id: str
    trigger_id: str
    feed_id: str
    job_key: str
    outcome: Outcome
    title: str | None = None
    reason_code: str | None = None
    message: str | None = None
    processed_at: datetime = Field(default_factory=utc_now)


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"


class Failure(BaseModel):
    job_key: str
    reason_code: str
    message: str | None = None


class ImportLog(Event):
    """One row of the import history: everything one run did, with exact counts."""

    run_id: str
    trigger_id: str | None = None
    trigger: Trigger | None = None
    feed_id: str | None = None
    feed_url: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    status: RunStatus = RunStatus.RUNNING
    expected_statuses: int | None = None
    total_fetched: int = 0
    total_imported: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    duplicates: int = 0
    failures: list[Failure] = Field(default_factory=list)
    http_status: int | None = None
    not_modified: bool = False
    bytes: int = 0
    parse_mode: ParseMode | None = None
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None
    updated_at: datetime | None = None
