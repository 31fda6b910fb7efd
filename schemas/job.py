"""The normalized job posting, aligned with schema.org JobPosting."""

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EmploymentType(StrEnum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    CONTRACTOR = "CONTRACTOR"
    TEMPORARY = "TEMPORARY"
    INTERN = "INTERN"
    VOLUNTEER = "VOLUNTEER"
    PER_DIEM = "PER_DIEM"
    OTHER = "OTHER"


class WorkplaceType(StrEnum):
    ON_SITE = "ON_SITE"
    HYBRID = "HYBRID"
    REMOTE = "REMOTE"


class Company(BaseModel):
    name: str
    url: str | None = None
    logo: str | None = None


class Location(BaseModel):
    raw: str
    city: str | None = None
    region: str | None = None
    country: str | None = None


class Salary(BaseModel):
    """`interval` is a schema.org unitText: HOUR, DAY, WEEK, MONTH or YEAR."""

    raw: str | None = None
    min: float | None = None
    max: float | None = None
    currency: str | None = None
    interval: str | None = None


class Job(BaseModel):
    """One posting. `job_key` is its identity across runs and feeds of one source."""

    model_config = ConfigDict(extra="ignore")

    job_key: str
    source: str
    external_id: str | None = None
    title: str
    company: Company | None = None
    locations: list[Location] = Field(default_factory=list)
    remote: bool | None = None  # fully remote; HYBRID counts as not remote
    workplace_type: WorkplaceType | None = None
    employment_types: list[EmploymentType] = Field(default_factory=list)
    employment_type_raw: str | None = None
    salary: Salary | None = None
    description_html: str | None = None
    description_text: str | None = None
    url: str | None = None
    apply_url: str | None = None
    date_posted: datetime | None = None
    valid_through: datetime | None = None
    categories: list[str] = Field(default_factory=list)


def content_hash(job: Job) -> str:
    """Hash of the business fields: equal hashes mean nothing a reader sees has changed."""
    fields = job.model_dump(mode="json", exclude={"job_key", "source"})
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
