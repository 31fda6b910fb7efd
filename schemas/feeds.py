from pydantic import BaseModel, Field


class Feed(BaseModel):
    """One entry of the feeds registry (`FEEDS_FILE` and the `feeds` collection)."""

    id: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    url: str
    interval_minutes: int = Field(default=60, ge=1)
    enabled: bool = True


class FeedsFile(BaseModel):
    feeds: list[Feed]
