from pydantic import BaseModel, Field


class Feed(BaseModel):
    """One entry of the feeds registry (`FEEDS_FILE` and the `feeds` collection)."""

    id: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    url: str
    interval_minutes: int = Field(default=60, ge=1)
    enabled: bool = True
    # Optional per feed: the site the jobs belong to when the host is not it (e.g. a feed on a
    # file host), a size cap, and element names for odd exports ({"company": "employer", ...}).
    source: str | None = None
    max_bytes: int | None = Field(default=None, ge=1)
    field_map: dict[str, str] = Field(default_factory=dict)


class FeedsFile(BaseModel):
    feeds: list[Feed]
