"""The original design's feeds, from SYNTHETIC fixtures (no public saved copy exists)."""

from collections.abc import Callable
from datetime import UTC, datetime

from schemas.job import EmploymentType, Job
from services.fetcher.parse import ParsedFeed

JobsOf = Callable[[str, str], list[Job]]
FeedOf = Callable[[str], ParsedFeed]

JOBICY_MAIN = ("synthetic_jobicy_job_feed.xml", "https://jobicy.com/?feed=job_feed")
JOBICY_CATEGORY = (
    "synthetic_jobicy_category_feed.xml",
    "https://jobicy.com/?feed=job_feed&job_categories=dev",
)
HIGHEREDJOBS = (
    "synthetic_higheredjobs_category_feed.xml",
    "https://www.higheredjobs.com/rss/categoryFeed.cfm?catID=52",
)


class TestJobicy:
    def test_job_listing_fields_become_company_location_and_type(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[0]
        assert (job.title, job.company and job.company.name) == ("Senior Backend Engineer", "Acme Remote")
        assert [location.raw for location in job.locations] == ["USA"]
        assert job.employment_types == [EmploymentType.FULL_TIME]
        assert job.date_posted == datetime(2024, 9, 3, 8, 30, tzinfo=UTC)

    def test_guid_with_an_escaped_ampersand_is_the_identity(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[0]
        assert job.job_key == "jobicy.com:https://jobicy.com/?post_type=job_listing&p=101"
        assert job.url == "https://jobicy.com/jobs/101-senior-backend-engineer"

    def test_a_comma_list_of_job_types_gives_several_types(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[1]
        assert job.employment_types == [EmploymentType.FULL_TIME, EmploymentType.CONTRACTOR]
        assert job.employment_type_raw == "Full Time, Contract"
        assert [location.raw for location in job.locations] == ["Europe, Norway"]

    def test_content_encoded_is_the_description(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[0]
        assert job.description_text == "Build APIs & services for a remote-first team. Python Go"

    def test_main_and_category_feed_give_one_key_for_the_same_job(self, jobs_of: JobsOf) -> None:
        main = {job.job_key for job in jobs_of(*JOBICY_MAIN)}
        category = {job.job_key for job in jobs_of(*JOBICY_CATEGORY)}
        assert (len(main), len(category)) == (3, 2)
        assert main & category == {"jobicy.com:https://jobicy.com/?post_type=job_listing&p=101"}

    def test_channel_ttl_is_reported(self, feed_of: FeedOf) -> None:
        assert (feed_of(JOBICY_MAIN[0]).ttl_minutes, feed_of(JOBICY_CATEGORY[0]).ttl_minutes) == (30, None)


class TestHigherEdJobs:
    def test_description_gives_institution_and_place(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*HIGHEREDJOBS)[0]
        assert (job.title, job.company and job.company.name) == (
            "Assistant Professor of Computer Science",
            "Tufts University",
        )
        assert [location.raw for location in job.locations] == ["Medford, MA"]

    def test_an_institution_with_parentheses_keeps_them(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*HIGHEREDJOBS)[1]
        assert job.company is not None and job.company.name == "University of Colorado (Boulder)"
        assert [location.raw for location in job.locations] == ["Boulder, CO"]

    def test_jobcode_link_is_the_key_and_edt_dates_become_utc(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*HIGHEREDJOBS)[0]
        assert job.job_key == "higheredjobs.com:https://www.higheredjobs.com/details.cfm?JobCode=178912345"
        assert job.url == "https://www.higheredjobs.com/details.cfm?JobCode=178912345"
        assert job.date_posted == datetime(2024, 9, 12, 14, 15, tzinfo=UTC)
