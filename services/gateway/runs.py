"""The JSON API's view into one run: its per-job outcomes, paged past the ImportLog's capped `failures`."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from schemas.events import Outcome
from schemas.views import JobStatusView, Page
from services.gateway import views
from services.gateway.api import Cursor, Database, Limit, page_size, paged, read_allowed
from services.gateway.problems import documented

router = APIRouter(prefix="/api", dependencies=[Depends(read_allowed)])


@router.get(
    "/imports/{run_id}/statuses",
    responses=documented(401),
    summary="One run's per-job outcomes, in job key order",
)
async def list_statuses(
    request: Request,
    db: Database,
    run_id: Annotated[str, Path(max_length=200)],
    outcome: Outcome | None = None,
    limit: Limit | None = None,
    cursor: Cursor = None,
) -> Page[JobStatusView]:
    size = page_size(request, limit)
    return await paged(views.statuses(db, run_id, outcome, size, cursor))
