"""The JSON API: import history and requests, the feeds registry, jobs. OpenAPI comes from here."""

import logging
import math
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import ValidationError
from redis.exceptions import RedisError

from infra.throttle import Throttled
from schemas import topics
from schemas.events import ImportRequested, RunStatus, Trigger
from schemas.job import EmploymentType, WorkplaceType
from schemas.views import (
    DeadLetterTopic,
    DeadLetterView,
    FeedChange,
    FeedEntry,
    FeedView,
    ImportAccepted,
    ImportLogView,
    ImportRequest,
    InvalidField,
    JobView,
    Moment,
    Page,
)
from services.gateway import feeds, letters, views
from services.gateway.problems import ProblemError, body_fields, documented

log = logging.getLogger("gateway")


def read_allowed(request: Request) -> None:
    request.app.state.gate.check_read(request)


def write_allowed(request: Request) -> None:
    request.app.state.gate.check_write(request)


def database(request: Request) -> Any:
    return request.app.state.db


READ = documented(401)
WRITE = documented(401, 403, 413, 415, 422)
router = APIRouter(prefix="/api", dependencies=[Depends(read_allowed)])
Database = Annotated[Any, Depends(database)]
Limit = Annotated[int, Query(ge=1, le=500, description="rows per page (at most GATEWAY_MAX_PAGE_SIZE)")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
Since = Annotated[Moment | None, Query(description="from this time on (ISO 8601)")]
Until = Annotated[Moment | None, Query(description="before this time (ISO 8601)")]


def page_size(request: Request, limit: int | None) -> int:
    settings = request.app.state.settings
    if limit is not None and limit > settings.gateway_max_page_size:
        raise ProblemError(400, f"limit is at most {settings.gateway_max_page_size}")
    return limit or settings.gateway_page_size


@router.get("/imports", responses=READ, summary="Import history, newest first")
async def list_imports(
    request: Request,
    db: Database,
    feed: Annotated[str | None, Query(description="feed id or URL")] = None,
    status: RunStatus | None = None,
    trigger: Trigger | None = None,
    since: Since = None,
    until: Until = None,
    limit: Limit | None = None,
    cursor: Cursor = None,
) -> Page[ImportLogView]:
    filters = {"feed": feed, "status": status, "trigger": trigger, "since": since, "until": until}
    return await paged(views.imports(db, page_size(request, limit), cursor, **filters))


@router.get("/imports/{run_id}", responses=documented(401, 404), summary="One run's import log")
async def get_import(db: Database, run_id: Annotated[str, Path(max_length=200)]) -> ImportLogView:
    return _found(await views.one_import(db, run_id), f"no run {run_id!r}")


@router.post(
    "/imports",
    status_code=202,
    dependencies=[Depends(write_allowed)],
    responses=documented(401, 403, 404, 413, 415, 422, 429),
    summary="Import feeds now (all enabled feeds when `feeds` is empty)",
)
async def request_import(
    request: Request, db: Database, body: Annotated[ImportRequest | None, Body()] = None
) -> ImportAccepted:
    body = body or ImportRequest()
    await _within_rate(request)
    if body.feeds:
        known = await views.known_feeds(db, body.feeds)
        unknown = [
            InvalidField(detail=f"no feed {ref!r}", pointer=f"#/feeds/{i}")
            for i, ref in enumerate(body.feeds)
            if ref not in known
        ]
        if unknown:
            raise ProblemError(404, "unknown feeds: nothing was requested", unknown)
    event = ImportRequested(trigger_id=uuid.uuid4().hex, trigger=body.trigger, feeds=body.feeds)
    await request.app.state.requests.publish(event, key=event.trigger_id.encode())
    return ImportAccepted(trigger_id=event.trigger_id)


async def _within_rate(request: Request) -> None:
    """Per client: the caller's token, else its address."""
    client = request.headers.get("authorization") or (request.client.host if request.client else "?")
    key = str(uuid.uuid5(uuid.NAMESPACE_OID, client))  # the bucket's name carries the deployment's prefix
    try:
        await request.app.state.import_bucket.take(key, longest_wait=0)
    except Throttled as throttled:
        wait = str(math.ceil(throttled.seconds))
        raise ProblemError(
            429, f"too many import requests; retry in {wait} s", headers={"Retry-After": wait}
        ) from None
    except RedisError as error:  # the limit is a courtesy: without Redis, requests still go through
        log.warning("import rate limit unavailable", extra={"error": repr(error)})


@router.get("/feeds", responses=documented(401), summary="The feeds registry with each feed's health")
async def list_feeds(request: Request, db: Database) -> Page[FeedView]:
    return Page(items=await views.feeds(db, request.app.state.redis, request.app.state.keys))


@router.get("/feeds/{feed_id}", responses=documented(401, 404), summary="One feed and its health")
async def get_feed(request: Request, db: Database, feed_id: Annotated[str, Path(max_length=200)]) -> FeedView:
    return _found(
        await views.feed(db, request.app.state.redis, request.app.state.keys, feed_id), f"no feed {feed_id!r}"
    )


@router.post(
    "/feeds",
    status_code=201,
    dependencies=[Depends(write_allowed)],
    responses=documented(401, 403, 409, 413, 415, 422),
    summary="Add a feed (due for import at once)",
)
async def add_feed(request: Request, db: Database, entry: FeedEntry) -> FeedView:
    await _conflict_free(feeds.add(db, entry))
    return _found(
        await views.feed(db, request.app.state.redis, request.app.state.keys, entry.id),
        "the feed was removed meanwhile",
    )


@router.patch(
    "/feeds/{feed_id}",
    dependencies=[Depends(write_allowed)],
    responses=documented(401, 403, 404, 409, 413, 415, 422),
    summary="Change a feed's registry fields (also enables a disabled feed)",
)
async def change_feed(
    request: Request, db: Database, feed_id: Annotated[str, Path(max_length=200)], changes: FeedChange
) -> FeedView:
    return await _edit(request, db, feed_id, changes)


@router.delete(
    "/feeds/{feed_id}",
    dependencies=[Depends(write_allowed)],
    responses=documented(401, 403, 404),
    summary="Disable a feed (kept, with its history; PATCH enabled=true brings it back)",
)
async def disable_feed(
    request: Request, db: Database, feed_id: Annotated[str, Path(max_length=200)]
) -> FeedView:
    return await _edit(request, db, feed_id, FeedChange(enabled=False))


async def _edit(request: Request, db: Any, feed_id: str, changes: FeedChange) -> FeedView:
    try:
        known = await _conflict_free(feeds.change(db, feed_id, changes))
    except ValidationError as error:
        raise ProblemError(422, "the changed feed is invalid", body_fields(error.errors())) from None
    if not known:
        raise ProblemError(404, f"no feed {feed_id!r}")
    return _found(
        await views.feed(db, request.app.state.redis, request.app.state.keys, feed_id), f"no feed {feed_id!r}"
    )


async def _conflict_free(edit: Any) -> Any:
    try:
        return await edit
    except feeds.FeedConflict as conflict:
        raise ProblemError(409, str(conflict)) from None


@router.get("/jobs", responses=READ, summary="Stored jobs, newest first by when they were first seen")
async def list_jobs(
    request: Request,
    db: Database,
    q: Annotated[
        str | None, Query(max_length=200, description="text in the title, company name or description")
    ] = None,
    source: str | None = None,
    company: Annotated[str | None, Query(max_length=200)] = None,
    location: Annotated[str | None, Query(max_length=200)] = None,
    employment_type: EmploymentType | None = None,
    workplace_type: WorkplaceType | None = None,
    since: Since = None,
    until: Until = None,
    limit: Limit | None = None,
    cursor: Cursor = None,
) -> Page[JobView]:
    filters = {
        "q": q,
        "source": source,
        "company": company,
        "location": location,
        "since": since,
        "until": until,
    }
    filters |= {"employment_type": employment_type, "workplace_type": workplace_type}
    return await paged(views.jobs(db, page_size(request, limit), cursor, **filters))


@router.get("/jobs/{job_key:path}", responses=documented(401, 404), summary="One stored job")
async def get_job(db: Database, job_key: str) -> JobView:
    return _found(await views.job(db, job_key), f"no job {job_key!r}")


@router.get("/dead-letters", responses=READ, summary="Dead letters kept per pipeline topic")
async def dead_letter_topics(request: Request) -> Page[DeadLetterTopic]:
    return Page(items=await request.app.state.letters.summary())


@router.get(
    "/dead-letters/{source_topic}",
    responses=documented(401, 404),
    summary="A topic's dead letters, newest first, with why each was refused",
)
async def dead_letters(
    request: Request,
    source_topic: Annotated[str, Path(description="the pipeline topic, e.g. jobs.fetched")],
    limit: Limit | None = None,
    cursor: Cursor = None,
) -> Page[DeadLetterView]:
    if source_topic not in topics.ALL:
        raise ProblemError(404, f"no topic {source_topic!r}; the pipeline's are {', '.join(topics.ALL)}")
    return await paged(request.app.state.letters.page(source_topic, page_size(request, limit), cursor))


async def paged(query: Any) -> Any:
    try:
        return await query
    except (views.InvalidCursor, letters.InvalidCursor) as error:
        raise ProblemError(400, str(error), [InvalidField(detail=str(error), parameter="cursor")]) from None


def _found(row: Any, detail: str) -> Any:
    if row is None:
        raise ProblemError(404, detail)
    return row
