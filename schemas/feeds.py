from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StrictBool


def _number(value: object) -> object:
    """JSON numbers only: 60 and 60.0, never "60" or true."""
    if isinstance(value, str | bool):
        raise ValueError("expected a whole number")
    return value


# A Job field (see the fetcher's names.py) and the feed's element that holds it.
JobField = Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]
ElementName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$")]
FieldMap = Annotated[
    dict[JobField, ElementName], Field(max_length=50, json_schema_extra={"additionalProperties": False})
]
Minutes = Annotated[int, Field(ge=1, le=366 * 24 * 60), BeforeValidator(_number)]
Bytes = Annotated[int, Field(ge=1, le=2**40), BeforeValidator(_number)]
Source = Annotated[str, Field(max_length=200)]


class Feed(BaseModel):
    """One entry of the feeds registry (`FEEDS_FILE` and the `feeds` collection, which the gateway writes)."""

    id: str = Field(pattern=r"^[A-Za-z0-9._-]+$", max_length=100)
    url: str
    interval_minutes: Minutes = 60
    enabled: StrictBool = True
    # Optional per feed: the site the jobs belong to when the host is not it (e.g. a feed on a
    # file host), a size cap, and element names for odd exports ({"company": "employer", ...}).
    source: Source | None = None
    max_bytes: Bytes | None = None
    field_map: FieldMap = Field(default_factory=dict)


class FeedsFile(BaseModel):
    feeds: list[Feed]


class FetchState(BaseModel):
    """Where a feed's checks stand: as the fetcher records them, and as the API shows them."""

    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_check_at: datetime | None = None  # None: never checked, so due at once


class FeedHealth(FetchState):
    """What fetching a feed taught the fetcher: the `feed_health` collection, keyed by feed id.

    `moved_to` (after a permanent redirect, or the feed an HTML page advertises), `source` (the page's
    site, kept when the feed it advertises lives on another) and the validators hold for the registry
    address they were learnt at, `for_url`: once the registry names another address they no longer apply.
    """

    for_url: str | None = None
    moved_to: str | None = None
    source: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    def at(self, url: str) -> "FeedHealth":
        """These facts as they hold for the registry address `url`."""
        if self.for_url == url:
            return self
        dropped = {"moved_to": None, "source": None, "etag": None, "last_modified": None}
        return self.model_copy(update={"for_url": url} | dropped)


def joined(registered: dict[str, Any], health: dict[str, Any] | None) -> dict[str, Any]:
    """A registry entry with its health: `url` is where the feed lives now, `previous_url` the
    registry's address when the feed moved."""
    facts = FeedHealth.model_validate(health or {}).at(registered["url"])
    return (
        registered
        | facts.model_dump(exclude={"for_url", "moved_to", "source"})
        | {
            "url": facts.moved_to or registered["url"],
            "previous_url": registered["url"] if facts.moved_to else None,
            "source": registered.get("source") or facts.source,
        }
    )
