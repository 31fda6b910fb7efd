from typing import Annotated

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
    """One entry of the feeds registry (`FEEDS_FILE` and the `feeds` collection)."""

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
