"""The nine real feeds in tests/data, warts included (see shared/feeds/SOURCES.md)."""

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from schemas.job import EmploymentType, Job, WorkplaceType
from services.fetcher.normalize import normalize_item
from services.fetcher.normalize.identity import collapse_duplicates
from services.fetcher.normalize.sanitize import MAX_DESCRIPTION_CHARS
from services.fetcher.parse.stream import ParsedFeed

JobsOf = Callable[[str, str], list[Job]]
FeedOf = Callable[[str], ParsedFeed]

WWR_REMOTE = ("wwr_remote_jobs_2022.rss", "https://weworkremotely.com/remote-jobs.rss")
WWR_FULL_STACK = (
    "wwr_full_stack_2022.rss",
    "https://weworkremotely.com/categories/remote-full-stack-programming-jobs.rss",
)
WWR_BACK_END = (
    "wwr_back_end_2022.rss",
    "https://weworkremotely.com/categories/remote-back-end-programming-jobs.rss",
)
WWR_2015 = ("wwr_programming_2015.rss", "https://weworkremotely.com/categories/2/jobs.rss")
JOBSIGHT = ("jobsight_council_rss_2026.xml", "https://raw.githubusercontent.com/bandsight/jobs.xml")
TECHCORRIDOR = ("techcorridor_positions_2017.atom", "http://jobs.techcorridor.io/positions.atom")
INDEED = ("indeed_format_talia_2026.xml", "https://www.talia.fr/indeed/jobs.xml")
WORKATASTARTUP = ("workatastartup_jobs_2024.xml", "https://www.workatastartup.com/jobs.xml")
FOOTBALL = ("football_jobs_custom_4mb.xml", "https://football-jobs.example.org/public/jobs.xml")


@pytest.mark.parametrize(
    ("feed", "fmt", "items", "unique_keys"),
    [
        (WWR_REMOTE, "rss", 100, 100),
        (WWR_FULL_STACK, "rss", 125, 125),
        (WWR_BACK_END, "rss", 59, 59),
        (WWR_2015, "rss", 25, 25),
        (JOBSIGHT, "rss", 250, 250),
        (TECHCORRIDOR, "atom", 12, 12),
        (INDEED, "indeed", 16, 16),
        (WORKATASTARTUP, "jobs", 441, 441),
        (FOOTBALL, "jobs", 355, 355),
    ],
)
def test_every_sample_feed_yields_its_items_with_one_key_each(
    feed_of: FeedOf, jobs_of: JobsOf, feed: tuple[str, str], fmt: str, items: int, unique_keys: int
) -> None:
    parsed = feed_of(feed[0])
    unique, collapsed = collapse_duplicates(jobs_of(*feed))
    assert (parsed.format, len(parsed.items), parsed.warnings) == (fmt, items, [])
    assert (len(unique), collapsed) == (unique_keys, items - unique_keys)


class TestWeWorkRemotely:
    def test_titles_give_company_when_no_company_element(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WWR_BACK_END)[0]
        assert job.company is not None and job.company.name == "FinDox Inc"
        assert job.title == "Senior C# and PostgreSQL Backend Developer"

    def test_company_url_comes_from_the_url_line_and_logo_from_media_content(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*WWR_BACK_END)
        assert jobs[0].company is not None
        assert jobs[0].company.model_dump() == {
            "name": "FinDox Inc",
            "url": "https://about.findox.com/",
            "logo": "https://wwr-pro.s3.amazonaws.com/logos/0074/8743/logo.gif",
        }
        assert sum(bool(job.company and job.company.logo) for job in jobs) == 34  # items with media:content
        assert all(job.company and job.company.url for job in jobs)

    def test_every_job_is_remote_and_only_regions_become_places(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*WWR_REMOTE)
        assert {(job.workplace_type, job.remote) for job in jobs} == {(WorkplaceType.REMOTE, True)}
        places = [(place.raw, place.country) for job in jobs for place in job.locations]
        assert len(places) == 100 - 46  # "Anywhere in the World" (46 jobs) is no place
        assert places.count(("USA Only", "US")) == 25
        assert places.count(("Europe Only", None)) == 9  # wider than a country: raw text only

    def test_salary_lines_in_descriptions_become_salaries_without_guessing_dollars(
        self, jobs_of: JobsOf
    ) -> None:
        salaries = [job.salary for job in jobs_of(*WWR_BACK_END) if job.salary]
        assert [(pay.min, pay.max, pay.currency, pay.interval) for pay in salaries] == [
            (122980.78, 162381.96, None, "YEAR"),
            (131000.0, 157500.0, None, "YEAR"),
            (40000.0, 60000.0, "EUR", "YEAR"),
            (100000.0, 140000.0, None, None),
        ]
        assert salaries[2].raw == "€40,000 - €60,000 per year"

    def test_guid_equal_to_link_is_the_identity(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WWR_BACK_END)[0]
        link = "https://weworkremotely.com/remote-jobs/findox-inc-senior-csharp-and-postgresql-backend-developer-3"
        assert (job.job_key, job.external_id, job.url) == (f"weworkremotely.com:{link}", link, link)

    def test_dates_region_type_category_and_expiry_are_read(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WWR_BACK_END)[0]
        assert job.date_posted == datetime(2022, 11, 7, 16, 20, 50, tzinfo=UTC)
        assert job.valid_through == datetime(2022, 12, 7, 16, 20, 50, tzinfo=UTC)
        assert (job.locations, job.workplace_type) == ([], WorkplaceType.REMOTE)  # "Anywhere in the World"
        assert (job.employment_types, job.employment_type_raw) == ([EmploymentType.FULL_TIME], "Full-Time")
        assert job.categories == ["Back-End Programming"]

    def test_contract_type_maps_to_contractor(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WWR_REMOTE)[0]
        assert job.title == "Fullstack Developer (React, React Native, Node.js) - Remote"
        assert job.employment_types == [EmploymentType.CONTRACTOR]

    def test_entity_escaped_description_arrives_as_sanitized_html(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WWR_BACK_END)[0]
        assert job.description_html is not None and job.description_text is not None
        assert job.description_html.startswith(
            "<p>\n  <strong>Headquarters:</strong> El Segundo"
        )  # <img> gone
        assert '<a href="https://about.findox.com/" rel="nofollow noopener">' in job.description_html
        assert "<div>Attitude &amp; Fit<strong>" in job.description_html
        assert job.description_text.startswith(
            "Headquarters: El Segundo, California\nURL: https://about.findox.com/\n"
        )
        assert "\nAttitude & Fit\n" in job.description_text

    def test_no_description_keeps_an_image_style_class_or_odd_link(
        self, feed_of: FeedOf, jobs_of: JobsOf
    ) -> None:
        feeds = (
            WWR_REMOTE,
            WWR_FULL_STACK,
            WWR_BACK_END,
            WWR_2015,
            JOBSIGHT,
            INDEED,
            WORKATASTARTUP,
            FOOTBALL,
        )
        unsafe = re.compile(
            r"<(?:script|style|img|iframe)|<[^>]*\s(?:on\w+|style|class)=|href=\"(?!https?:|mailto:)"
        )
        raw = [str(item) for feed in feeds for item in feed_of(feed[0]).items]
        html = [job.description_html or "" for feed in feeds for job in jobs_of(*feed)]
        assert (len(html), sum(bool(unsafe.search(text)) for text in raw)) == (1371, 752)
        assert not any(unsafe.search(text) for text in html)

    def test_main_feed_and_category_feeds_share_keys_for_the_same_jobs(self, jobs_of: JobsOf) -> None:
        main = {job.job_key for job in jobs_of(*WWR_REMOTE)}
        back_end = {job.job_key for job in jobs_of(*WWR_BACK_END)}
        full_stack = {job.job_key for job in jobs_of(*WWR_FULL_STACK)}
        assert (len(main & back_end), len(main & full_stack)) == (10, 10)
        assert (
            "weworkremotely.com:https://weworkremotely.com/remote-jobs/findox-inc-senior-csharp-and-postgresql-backend-developer-3"
            in main & back_end
        )

    def test_media_namespace_without_trailing_slash_is_matched_by_local_name(self, feed_of: FeedOf) -> None:
        item = feed_of(WWR_BACK_END[0]).items[0]
        assert item["content"] == {
            "@url": "https://wwr-pro.s3.amazonaws.com/logos/0074/8743/logo.gif",
            "@type": "image/png",
        }

    def test_stray_zero_width_joiners_are_dropped_but_emoji_sequences_survive(self, jobs_of: JobsOf) -> None:
        descriptions = [job.description_html or "" for job in jobs_of(*WWR_FULL_STACK)]
        assert not any("\u200d<br>" in html for html in descriptions)
        assert sum(html.count("\u200d") for html in descriptions) == 10  # all inside emoji like 👩‍💻
        assert "involved.<strong><br></strong>" in descriptions[1]

    def test_2015_feed_uses_numeric_guids(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WWR_2015)[0]
        assert job.job_key == "weworkremotely.com:https://weworkremotely.com/jobs/1080"
        assert (job.company and job.company.name, job.title) == ("Kaleo Software", "Senior Software Engineer")
        assert job.date_posted == datetime(2014, 11, 17, 5, 45, 32, tzinfo=UTC)
        assert (job.locations, job.employment_types, job.valid_through) == ([], [], None)
        # "Location:" in 2015 descriptions is the company's office, not where the remote job is
        assert job.description_text is not None and job.description_text.startswith("Location: Los Angeles")
        assert job.company is not None and job.company.url == "http://www.kaleosoftware.com/"


class TestJobSight:
    def test_opaque_hash_guid_is_the_identity(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBSIGHT)[0]
        assert job.job_key == "raw.githubusercontent.com:5d4610733b10ed7204df"
        assert job.title == "Civil Development Engineer - Alpine"
        assert (
            job.url
            == "https://www.alpineshire.vic.gov.au/about-us/careers/current-vacancies/civil-development-engineer"
        )
        assert job.date_posted == datetime(2026, 6, 21, 19, 50, 51, tzinfo=UTC)

    def test_cdata_html_keeps_its_label_lines(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*JOBSIGHT)[0]
        assert job.description_html is not None and job.description_text is not None
        assert job.description_html.startswith("<p><strong>Council:</strong> Alpine Shire Council</p>")
        assert "plus leave loading &amp; superannuation" in job.description_html  # re-escaped bare &
        assert job.description_text.startswith(
            "Council: Alpine Shire Council\nStatus: explicit_band\nBand: 7\n"
            "Salary: Full time Band 7A annual salary: $100,353"
        )

    def test_council_label_is_the_company_as_there_is_no_company_element(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*JOBSIGHT)
        assert jobs[0].company is not None and jobs[0].company.name == "Alpine Shire Council"
        assert all(job.company for job in jobs)

    def test_salary_label_lines_become_salaries_in_dollars_of_no_named_currency(
        self, jobs_of: JobsOf
    ) -> None:
        jobs = jobs_of(*JOBSIGHT)
        assert jobs[0].salary is not None
        assert jobs[0].salary.model_dump() == {
            "raw": "Full time Band 7A annual salary: $100,353 (pro rata for part time), "
            "plus leave loading & superannuation",
            "min": 100353.0,
            "max": 100353.0,
            "currency": None,  # "$" alone: Australian here, and never assumed to be USD
            "interval": "YEAR",
        }
        salaries = [job.salary for job in jobs if job.salary]
        assert (len(salaries), sum(pay.min is not None for pay in salaries)) == (248, 246)
        assert sum(pay.currency == "AUD" for pay in salaries) == 94  # "Hourly Rate AUD $35.69 - $37.98"
        hourly = next(pay for pay in salaries if pay.raw == "Hourly Rate AUD $35.69 - $37.98")
        assert (hourly.min, hourly.max, hourly.interval) == (35.69, 37.98, "HOUR")
        assert not any(pay.interval == "MONTH" for pay in salaries)  # "+ super + monthly day off"


class TestTechCorridorAtom:
    def test_non_iri_id_href_link_and_updated_date(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*TECHCORRIDOR)[-1]
        entry_id = "www_stitchfix_com_careers_gh_jid_560283_gh_src_5dcf061"
        assert job.job_key == f"jobs.techcorridor.io:{entry_id}"
        assert job.title == "Principal Developer Tools Engineer"
        assert job.url == f"http://jobs.techcorridor.io/positions/{entry_id}.html"
        assert job.date_posted == datetime(2017, 2, 11, 1, 40, 17, tzinfo=UTC)

    def test_without_a_company_element_titles_give_company_after_at(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*TECHCORRIDOR)
        assert (jobs[-1].company and jobs[-1].company.name) == "Stitch Fix"
        assert (jobs[0].title, jobs[0].company and jobs[0].company.name) == (
            "Sr. Data Scientist (Ads)",
            "Doximity",
        )
        assert all(job.company for job in jobs)
        assert {job.description_text for job in jobs} == {"See posting for details"}


class TestIndeed:
    def test_reference_number_is_the_identity_despite_repeated_titles(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*INDEED)
        same_title = [job.job_key for job in jobs if job.title == "Vendeur(se) en alternance H/F"]
        assert same_title == ["talia.fr:TAL_2026_40", "talia.fr:TAL_2026_37", "talia.fr:TAL_2026_15"]

    def test_cdata_fields_become_company_location_salary_and_link(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*INDEED)[0]
        assert job.company is not None and job.company.name == "Talia"
        assert (
            job.url
            == "https://gestion-des-offres-demploi-26a8a93f.base44.app/OfferDetails?id=6a043a84ba14ccf16f9b187a"
        )
        assert job.locations[0].model_dump() == {
            "raw": "Levallois-Perret, Île-de-France, France",
            "city": "Levallois-Perret",
            "region": "Île-de-France",
            "country": "FR",
        }
        assert job.salary is not None
        assert job.salary.model_dump() == {
            "raw": "De 500€ à 1700€ par mois",
            "min": 500.0,
            "max": 1700.0,
            "currency": "EUR",
            "interval": "MONTH",
        }
        assert job.description_text is not None and job.description_text.startswith(
            "L'École Talia, école 100% en ligne"
        )

    def test_build_time_date_is_not_taken_as_posting_date(self, feed_of: FeedOf, jobs_of: JobsOf) -> None:
        parsed = feed_of(INDEED[0])
        assert {item["date"] for item in parsed.items} == {"Mon, 22 Jun 2026 12:12:33 GMT"}
        assert {job.date_posted for job in jobs_of(*INDEED)} == {None}


class TestWorkAtAStartup:
    def test_nested_jobs_with_job_reference_identity(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WORKATASTARTUP)[0]
        assert job.job_key == "workatastartup.com:68726"
        assert (job.title, job.company and job.company.name) == (
            "Founding Developer Success Engineer",
            "Velt",
        )
        assert job.url == "https://www.workatastartup.com/jobs/68726"
        assert job.date_posted == datetime(2024, 7, 13, tzinfo=UTC)
        assert [location.raw for location in job.locations] == ["San Francisco, CA, US", "Remote (US)"]
        assert (job.remote, job.categories) == (True, ["Software Engineer"])

    def test_locations_split_on_slashes_and_remote_flags_give_the_workplace(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*WORKATASTARTUP)[0]
        assert [place.model_dump() for place in job.locations] == [
            {"raw": "San Francisco, CA, US", "city": "San Francisco", "region": "CA", "country": "US"},
            {"raw": "Remote (US)", "city": None, "region": None, "country": "US"},
        ]
        kinds = [(job.workplace_type, job.remote) for job in jobs_of(*WORKATASTARTUP)]
        assert kinds.count((WorkplaceType.REMOTE, True)) == 214  # remote=1
        # remote=0 rules out REMOTE, and names another kind only where the text does
        assert kinds.count((None, False)) == 223
        assert (kinds.count((WorkplaceType.ON_SITE, False)), kinds.count((WorkplaceType.HYBRID, False))) == (
            3,
            1,
        )

    def test_company_website_and_logo_are_read(self, jobs_of: JobsOf) -> None:
        company = jobs_of(*WORKATASTARTUP)[0].company
        assert company is not None and company.url == "https://www.workatastartup.com/companies/velt"
        assert company.logo == (
            "https://bookface-images.s3.amazonaws.com/small_logos/36bc77538c7b2b901965b5e1ff49fe05b84cc1f1.png"
        )

    def test_structured_compensation_becomes_salary(self, jobs_of: JobsOf) -> None:
        jobs = {job.external_id: job for job in jobs_of(*WORKATASTARTUP)}
        assert jobs["68726"].salary is not None
        assert jobs["68726"].salary.model_dump() == {
            "raw": "$90K - $110K",
            "min": 90000.0,
            "max": 110000.0,
            "currency": "USD",
            "interval": "YEAR",
        }
        assert jobs["68117"].salary is not None
        assert (jobs["68117"].salary.min, jobs["68117"].salary.max, jobs["68117"].salary.interval) == (
            150.0,
            220.0,
            "HOUR",
        )

    def test_empty_compensation_means_no_salary(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*WORKATASTARTUP)
        assert sum(job.salary is None for job in jobs) == 69
        assert next(job for job in jobs if job.external_id == "68662").salary is None

    def test_repeated_titles_stay_distinct_jobs(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*WORKATASTARTUP)
        assert len(jobs) - len({job.title for job in jobs}) == 147
        assert len([job for job in jobs if job.title == "Software Engineer"]) == 21

    def test_job_types_map_including_unknown_ones(self, jobs_of: JobsOf) -> None:
        jobs = {job.external_id: job for job in jobs_of(*WORKATASTARTUP)}
        assert jobs["68507"].employment_types == [EmploymentType.CONTRACTOR]
        assert (jobs["42152"].employment_types, jobs["42152"].employment_type_raw) == (
            [EmploymentType.OTHER],
            "Cofounder",
        )

    def test_missing_description_is_none(self, jobs_of: JobsOf) -> None:
        job = next(job for job in jobs_of(*WORKATASTARTUP) if job.external_id == "15071")
        assert (job.description_html, job.description_text) == (None, None)


class TestFootballJobs:
    def test_seventeen_jobs_sharing_one_url_keep_seventeen_keys(self, jobs_of: JobsOf) -> None:
        shared = "https://secure.workforceready.eu/ta/6189861.careers?CareersSearch=&lang=en-GB"
        jobs = [job for job in jobs_of(*FOOTBALL) if job.url == shared]
        assert len(jobs) == len({job.job_key for job in jobs}) == 17
        assert jobs[0].job_key == "football-jobs.example.org:url-5e40ce08fb6b5d72-117518981"
        assert (jobs[0].title, jobs[0].company and jobs[0].company.name) == (
            "Lead Marketing Data Analyst",
            "Chelsea FC",
        )

    def test_first_job_fields(self, jobs_of: JobsOf) -> None:
        job = jobs_of(*FOOTBALL)[0]
        assert job.job_key == "football-jobs.example.org:url-acac918e27213876-8064248"
        assert (job.title, job.company and job.company.name) == ("Grounds Person - Hale End", "Arsenal FC")
        assert job.url == job.apply_url == "https://careers.arsenal.com/jobs/8064248-grounds-person-hale-end"
        assert job.date_posted == datetime(2026, 7, 14, 9, 43, 7, tzinfo=UTC)
        assert job.valid_through == datetime(2026, 7, 29, 22, 59, 59, tzinfo=UTC)
        assert (job.employment_types, job.remote) == ([EmploymentType.FULL_TIME], False)

    def test_location_limits_are_not_the_job_location(self, jobs_of: JobsOf) -> None:
        jobs = {job.external_id: job for job in jobs_of(*FOOTBALL)}
        first = jobs["url-acac918e27213876-8064248"]
        assert [location.raw for location in first.locations] == ["99 Wadham Rd, London, E17 4LU, GB"]
        without_location = next(job for job in jobs.values() if job.title == "Commercial Matchday Hosts")
        assert without_location.locations == []

    def test_empty_dates_and_salary_fields_stay_empty(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*FOOTBALL)
        assert sum(job.date_posted is None for job in jobs) == 127
        assert sum(job.valid_through is None for job in jobs) == 223
        with_salary = [job.salary for job in jobs if job.salary]  # only from "Salary:" description lines
        assert (len(with_salary), sum(pay.min is not None for pay in with_salary)) == (16, 9)

    def test_a_401k_plan_is_not_a_salary_but_pounds_per_hour_are(self, jobs_of: JobsOf) -> None:
        jobs = {job.external_id: job for job in jobs_of(*FOOTBALL)}
        plan = jobs["url-fc92e2d4009b51b8-3925034"].salary
        assert plan is not None and (plan.min, plan.max) == (None, None)
        hourly = jobs["url-1d10b16871c9ca26-792b9ff9-4e9b-4775-8f69-43b4ea15f4b4"].salary
        assert hourly is not None
        assert (hourly.raw, hourly.min, hourly.max, hourly.currency, hourly.interval) == (
            "£12.95 p/h to £16.50 p/h",
            12.95,
            16.5,
            "GBP",
            "HOUR",
        )

    def test_locations_split_into_city_region_and_country(self, jobs_of: JobsOf) -> None:
        places = {place.raw: place for job in jobs_of(*FOOTBALL) for place in job.locations}
        read = {raw: (place.city, place.region, place.country) for raw, place in places.items()}
        assert read["Brazil, Rio de Janeiro"] == ("Rio de Janeiro", None, "BR")  # country first
        assert read["Dortmund, Deutschland"] == ("Dortmund", None, "DE")
        assert read["London, GBR"] == ("London", None, "GB")
        assert read["Selhurst Park Stadium, London, London, SE25 6PU, GB"] == ("London", None, "GB")
        assert read["Washington, DC, DC, 20024, US"] == ("Washington", "DC", "US")
        assert read["GEODIS Park, 2226 Bransford Ave, Nashville, Tennessee, United States of America"] == (
            "Nashville",
            "TN",
            "US",
        )
        assert read["Vitality Stadium, Bournemouth, Dorset, UK"] == (None, None, "GB")  # no sure city
        assert read["Finch Farm, Liverpool L26"] == (None, None, None)  # nothing to anchor on

    def test_one_description_over_256_kib_is_capped_with_a_warning(self, feed_of: FeedOf) -> None:
        parsed, warnings = feed_of(FOOTBALL[0]), list[str]()
        jobs = [
            normalize_item(item, parsed.format, "football-jobs.example.org", warnings)
            for item in parsed.items
        ]
        assert warnings == [
            "football-jobs.example.org:url-63fd463c1fc03284-142469: "
            f"description of 267538 characters cut to {MAX_DESCRIPTION_CHARS}"
        ]
        capped = next(job for job in jobs if job.external_id == "url-63fd463c1fc03284-142469")
        assert capped.description_html is not None and len(capped.description_html) < 267538

    def test_css_pasted_into_a_location_is_dropped(self, jobs_of: JobsOf) -> None:
        raws = {place.raw for job in jobs_of(*FOOTBALL) for place in job.locations}
        assert "Manchester, GB" in raws and not any("{" in raw for raw in raws)

    def test_location_type_gives_the_workplace_type(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*FOOTBALL)
        assert [job.title for job in jobs if job.remote][:1] == ["First Team Scout - Italy"]
        assert sum(bool(job.remote) for job in jobs) == 4
        kinds = [job.workplace_type for job in jobs]
        assert [kinds.count(kind) for kind in WorkplaceType] == [346, 5, 4]  # ON_SITE, HYBRID, REMOTE

    def test_company_url_and_logo_fields_are_read(self, jobs_of: JobsOf) -> None:
        jobs = jobs_of(*FOOTBALL)
        assert jobs[0].company is not None
        assert (jobs[0].company.url, jobs[0].company.logo) == ("https://careers.arsenal.com/jobs", None)
        assert sum(bool(job.company and job.company.logo) for job in jobs) == 72
