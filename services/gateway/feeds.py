"""The feeds registry through the API: list, add, change, disable (never delete: health stays)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.gateway import queries
from services.gateway.responses import json_object, json_response


def feed_routes(db: AsyncDatabase[Any]) -> list[Route]:
    async def list_feeds(request: Request) -> Response:
        return json_response({"items": await queries.feeds(db)})

    async def get_feed(request: Request) -> Response:
        row = await queries.feed(db, request.path_params["feed_id"])
        return json_response(row) if row else json_response({"error": "no such feed"}, 404)

    async def add_feed(request: Request) -> Response:
        try:
            entry = queries.FeedEntry.model_validate(await json_object(request))
            return json_response(await queries.add_feed(db, entry), 201)
        except ValueError as error:
            return json_response({"error": "invalid feed", "detail": str(error)}, 422)
        except queries.FeedExists:
            return json_response({"error": "a feed with this id exists; change it with PATCH"}, 409)

    async def change_feed(request: Request) -> Response:
        try:
            changes = await json_object(request)
        except ValueError as error:
            return json_response({"error": "invalid change", "detail": str(error)}, 422)
        return await edit(request.path_params["feed_id"], changes)

    async def disable_feed(request: Request) -> Response:
        # Disabled, not deleted: the feed's health history stays, and PATCH can enable it again.
        return await edit(request.path_params["feed_id"], {"enabled": False})

    async def edit(feed_id: str, changes: dict[str, Any]) -> Response:
        try:
            row = await queries.change_feed(db, feed_id, changes)
        except ValueError as error:
            return json_response({"error": "invalid change", "detail": str(error)}, 422)
        return json_response(row) if row else json_response({"error": "no such feed"}, 404)

    return [
        Route("/api/feeds", list_feeds, methods=["GET"]),
        Route("/api/feeds", add_feed, methods=["POST"]),
        Route("/api/feeds/{feed_id}", get_feed, methods=["GET"]),
        Route("/api/feeds/{feed_id}", change_feed, methods=["PATCH"]),
        Route("/api/feeds/{feed_id}", disable_feed, methods=["DELETE"]),
    ]
