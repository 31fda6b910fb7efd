"""The original design's feeds, from SYNTHETIC fixtures (no public saved copy exists)."""

from collections.abc import Callable
from datetime import UTC, datetime

from schemas.job import EmploymentType, Job, WorkplaceType
from services.fetcher.parse.stream import ParsedFeed

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
        assert [(location.raw, location.country) for location in job.locations] == [("USA", "US")]
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

    def test_a_region_before_a_country_is_skipped_and_anywhere_is_no_place(self, jobs_of: JobsOf) -> None:
        # Rule (services/fetcher/places.py): parts wider than a country are not places, so
        # "Europe, Norway" is Norway; "Anywhere" names no place at all.
        jobs = jobs_of(*JOBICY_MAIN)
        assert [place.model_dump() for place in jobs[1].locations] == [
            {"raw": "Europe, Norway", "city": None, "region": None, "country": "NO"}
        ]
        assert jobs[2].locations == []

    def test_jobicy_lists_only_remote_jobs_even_when_a_title_says_hybrid(self, jobs_of: JobsOf) -> None:
        assert {job.workplace_type for job in jobs_of(*JOBICY_MAIN)} == {WorkplaceType.REMOTE}

    def test_content_encoded_is_the_description(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[0]
        assert job.description_text == "Build APIs & services for a remote-first team.\nPython\nGo"
        assert job.description_html == (
            "<p>Build <strong>APIs</strong> &amp; services for a remote-first team.</p>"
            "<ul><li>Python</li><li>Go</li></ul>"
        )

    def test_company_website_logo_salary_and_expiry_are_read(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[3]
        assert job.company is not None
        assert (job.company.url, job.company.logo) == (
            "https://kraftwerk.example/",
            "https://kraftwerk.example/logo.png",
        )
        assert job.salary is not None
        assert (job.salary.min, job.salary.max, job.salary.currency, job.salary.interval) == (
            65000.0,
            80000.0,
            "EUR",
            "YEAR",
        )
        assert job.employment_types == [EmploymentType.FULL_TIME, EmploymentType.CONTRACTOR]
        assert [(place.city, place.country) for place in job.locations] == [("Berlin", "DE")]

    def test_a_hostile_description_loses_scripts_handlers_and_frames(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[3]
        assert job.description_html == '<p>Run our platform.</p><a rel="nofollow noopener">Apply</a>'
        assert job.description_text == "Run our platform.\nApply"

    def test_link_is_canonical_and_a_pst_date_without_seconds_is_read(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBICY_MAIN)[3]
        assert job.url == "https://jobicy.com/jobs/105-platform-engineer?ref=homepage"
        assert job.date_posted == datetime(2024, 9, 5, 17, 15, tzinfo=UTC)
        assert job.valid_through == datetime(2024, 10, 5, tzinfo=UTC)

    def test_main_and_category_feed_give_one_key_for_the_same_job(self, jobs_of: JobsOf) -> None:
        main = {job.job_key for job in jobs_of(*JOBICY_MAIN)}
        category = {job.job_key for job in jobs_of(*JOBICY_CATEGORY)}
        assert (len(main), len(category)) == (4, 2)
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
        assert [location.model_dump() for location in job.locations] == [
            {"raw": "Medford, MA", "city": "Medford", "region": "MA", "country": "US"}
        ]

    def test_an_institution_with_parentheses_keeps_them(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*HIGHEREDJOBS)[1]
        assert job.company is not None and job.company.name == "University of Colorado (Boulder)"
        assert [location.raw for location in job.locations] == ["Boulder, CO"]

    def test_jobcode_link_is_the_key_and_edt_dates_become_utc(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*HIGHEREDJOBS)[0]
        assert job.job_key == "higheredjobs.com:https://www.higheredjobs.com/details.cfm?JobCode=178912345"
        assert job.url == "https://www.higheredjobs.com/details.cfm?JobCode=178912345"
        assert job.date_posted == datetime(2024, 9, 12, 14, 15, tzinfo=UTC)

    def test_a_description_without_a_place_gives_no_company(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*HIGHEREDJOBS)[2]
        assert (job.company, job.locations) == (None, [])
        assert job.date_posted == datetime(2024, 9, 10, 14, 5, tzinfo=UTC)  # EST, no seconds
