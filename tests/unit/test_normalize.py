"""Raw item → Job: identity, fields and dates, on small inline items."""

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.events import Outcome, RunStarted, Trigger
from schemas.job import Company, EmploymentType, Job, WorkplaceType
from services.fetcher.normalize import InvalidItem, normalize_item
from services.fetcher.normalize.dates import parse_date
from services.fetcher.normalize.identity import canonical_url, collapse_duplicates, job_key
from services.fetcher.normalize.sanitize import MAX_DESCRIPTION_CHARS
from services.fetcher.parse.stream import parse_feed
from services.fetcher.registry import source_of
from tests.feeds import normalize_feed


def one_item(xml: str) -> dict[str, Any]:
    return parse_feed(f"<rss><channel>{xml}</channel></rss>".encode()).items[0]


class TestSource:
    @pytest.mark.parametrize(
        ("feed_url", "source"),
        [
            ("https://jobicy.com/?feed=job_feed&job_categories=dev", "jobicy.com"),
            (
                "https://weworkremotely.com/categories/remote-back-end-programming-jobs.rss",
                "weworkremotely.com",
            ),
            ("https://www.HigherEdJobs.com/rss/categoryFeed.cfm?catID=52", "higheredjobs.com"),
            ("http://feeds.example.org:8080/jobs.xml", "feeds.example.org"),
        ],
    )
    def test_source_is_the_feed_site_not_the_feed_url(self, feed_url: str, source: str) -> None:
        assert source_of(feed_url) == source

    def test_a_url_without_host_is_refused(self) -> None:
        with pytest.raises(ValueError, match="no host"):
            source_of("/jobs.rss")


class TestCanonicalUrl:
    def test_scheme_and_host_are_lower_cased_and_the_rest_kept_exactly(self) -> None:
        url = "HTTPS://Jobs.Example.COM/Path/To%2FJob?B=2&a=%20x#apply"
        assert canonical_url(url) == "https://jobs.example.com/Path/To%2FJob?B=2&a=%20x"

    def test_tracking_parameters_are_dropped_but_ref_and_source_kept(self) -> None:
        url = "https://e.com/j?utm_source=rss&id=7&fbclid=abc&UTM_Medium=x&gclid=1&ref=partner&mc_cid=9&source=li"
        assert canonical_url(url) == "https://e.com/j?id=7&ref=partner&source=li"

    def test_only_web_links_reach_the_job_and_apply_may_be_mail(self) -> None:
        item = {"title": "T", "guid": "g", "link": "javascript:alert(1)", "apply_url": "mailto:jobs@e.com"}
        job = normalize_item(item, "rss", "e.com")
        assert (job.url, job.apply_url) == (None, "mailto:jobs@e.com")

    def test_empty_values_that_are_not_tracking_are_kept(self) -> None:
        url = "https://secure.workforceready.eu/ta/6189861.careers?CareersSearch=&lang=en-GB"
        assert canonical_url(url) == url


class TestJobKey:
    def test_external_id_beats_link_which_beats_a_hash(self) -> None:
        assert job_key("s.com", "42", "https://s.com/j/42", "T", "C", "L") == "s.com:42"
        assert job_key("s.com", None, "https://s.com/j/42", "T", "C", "L") == "s.com:https://s.com/j/42"
        assert job_key("s.com", None, None, "T", "C", "L").startswith("s.com:h:")

    def test_the_hash_ignores_case_and_spacing_but_not_content(self) -> None:
        key = job_key("s.com", None, None, "Senior  Dev", "Acme", "Oslo")
        assert key == job_key("s.com", None, None, "senior dev", " ACME", "oslo")
        assert key != job_key("s.com", None, None, "Senior Dev", "Acme", "Bergen")
        assert (
            key == "s.com:h:8abffa2ae5f7c85ec088e6658ea4a980"
        )  # sha256 of the casefolded fields, never random


def a_job(key: str, title: str) -> Job:
    return Job(job_key=key, source="s.com", title=title)


def test_duplicates_within_a_fetch_collapse_to_the_first_and_are_counted() -> None:
    jobs = [a_job("s.com:1", "first"), a_job("s.com:2", "other"), a_job("s.com:1", "again")]
    unique, collapsed = collapse_duplicates(jobs)
    assert ([job.title for job in unique], collapsed) == (["first", "other"], 1)


class TestIdentityPerFormat:
    def test_indeed_reference_number_beats_the_url(self) -> None:
        item = {"title": "T", "referencenumber": "REF-1", "url": "https://e.com/1"}
        assert normalize_item(item, "indeed", "e.com").job_key == "e.com:REF-1"

    def test_custom_exports_prefer_a_reference_then_the_guid_over_the_bare_id(self) -> None:
        item = {
            "title": "T",
            "id": "9",
            "guid": {"@isPermaLink": "false", "#text": "g-9"},
            "url": "https://e.com/9",
        }
        assert normalize_item(item, "jobs", "e.com").job_key == "e.com:g-9"
        assert normalize_item({**item, "job_reference": "R9"}, "jobs", "e.com").job_key == "e.com:R9"

    def test_rss_without_guid_falls_back_to_the_canonical_link(self) -> None:
        main = one_item("<item><title>T</title><link>https://E.com/j/1?utm_source=main</link></item>")
        category = one_item("<item><title>T</title><link>https://e.com/j/1?utm_source=cat#top</link></item>")
        keys = {normalize_item(item, "rss", "e.com").job_key for item in (main, category)}
        assert keys == {"e.com:https://e.com/j/1"}

    def test_an_item_with_neither_id_nor_link_gets_a_content_hash(self) -> None:
        item = one_item("<item><title>Cook</title><company>Diner</company><location>Rome</location></item>")
        job = normalize_item(item, "rss", "e.com")
        assert job.job_key == job_key("e.com", None, None, "Cook", "Diner", "Rome")
        assert job.external_id is None and job.url is None

    def test_atom_uses_id_and_the_alternate_link(self) -> None:
        body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>tag:e.com,2024:7</id><title>T</title>
            <link rel="self" href="https://e.com/api/7"/><link rel="alternate" href="https://e.com/jobs/7"/>
            <category term="Engineering"/><published>2024-05-01T10:00:00+02:00</published>
            <updated>2024-05-03T10:00:00Z</updated></entry></feed>"""
        job = normalize_item(parse_feed(body).items[0], "atom", "e.com")
        assert (job.job_key, job.url, job.categories) == (
            "e.com:tag:e.com,2024:7",
            "https://e.com/jobs/7",
            ["Engineering"],
        )
        assert job.date_posted == datetime(2024, 5, 1, 8, tzinfo=UTC)

    def test_an_atom_link_with_a_prefixed_attribute_keeps_its_href(self) -> None:
        body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>8</id><title>T</title>
            <link rel="alternate" href="https://e.com/jobs/8" xml:lang="en"/></entry></feed>"""
        assert normalize_item(parse_feed(body).items[0], "atom", "e.com").url == "https://e.com/jobs/8"


class TestInvalidItems:
    def test_an_item_without_title_is_invalid_but_keeps_its_key(self) -> None:
        with pytest.raises(InvalidItem) as raised:
            normalize_item(one_item("<item><guid>g1</guid><title>  </title></item>"), "rss", "e.com")
        assert (raised.value.reason_code, raised.value.job_key) == ("missing_title", "e.com:g1")

    def test_an_item_with_nothing_to_identify_it_is_invalid(self) -> None:
        with pytest.raises(InvalidItem) as raised:
            normalize_item(one_item("<item><description>orphan</description></item>"), "rss", "e.com")
        assert (raised.value.reason_code, raised.value.job_key) == ("missing_identity", None)


class TestNormalizeFeed:
    def test_a_feed_becomes_unique_jobs_and_a_failed_status_per_invalid_item(self) -> None:
        body = b"""<rss><channel>
            <item><guid>g1</guid><title>Engineer</title></item>
            <item><guid>g1</guid><title>Engineer (again)</title></item>
            <item><description>neither title nor id</description></item>
        </channel></rss>"""
        run = RunStarted(
            run_id="run-1", trigger_id="t", trigger=Trigger.API, feed_id="f", feed_url="https://e.com/feed"
        )
        normalized = normalize_feed(parse_feed(body), "e.com", run)
        assert [(job.job_key, job.title) for job in normalized.jobs] == [("e.com:g1", "Engineer")]
        assert normalized.duplicates == 1
        [status] = normalized.invalid
        assert (status.job_key, status.outcome, status.reason_code) == (
            "e.com:invalid:2",
            Outcome.FAILED,
            "missing_identity",
        )
        assert (status.run_id, status.trigger_id, status.feed_id) == ("run-1", "t", "f")


class TestDates:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("Mon, 07 Nov 2022 16:20:50 +0000", datetime(2022, 11, 7, 16, 20, 50, tzinfo=UTC)),
            ("Mon, 07 Nov 2022 16:20:50 -0000", datetime(2022, 11, 7, 16, 20, 50, tzinfo=UTC)),
            ("Thu, 12 Sep 2024 10:15:00 EDT", datetime(2024, 9, 12, 14, 15, tzinfo=UTC)),
            ("Mon, 22 Jun 2026 12:12:33 GMT", datetime(2026, 6, 22, 12, 12, 33, tzinfo=UTC)),
            ("7 Nov 2022 16:20 Z", datetime(2022, 11, 7, 16, 20, tzinfo=UTC)),
            ("Mon, 07 Nov 2022", datetime(2022, 11, 7, tzinfo=UTC)),
            ("2026-07-14T09:43:07.000Z", datetime(2026, 7, 14, 9, 43, 7, tzinfo=UTC)),
            ("2017-03-31T02:48:32+00:00", datetime(2017, 3, 31, 2, 48, 32, tzinfo=UTC)),
            ("2024-05-01T10:00:00+02:00", datetime(2024, 5, 1, 8, tzinfo=UTC)),
            ("2024-07-13", datetime(2024, 7, 13, tzinfo=UTC)),
            ("2024-07-13 10:30", datetime(2024, 7, 13, 10, 30, tzinfo=UTC)),
            ("Thu, 12 Sep 2024 10:15 PST", datetime(2024, 9, 12, 18, 15, tzinfo=UTC)),
            ("Thu, 12 Sep 2024 10:15:00 EST", datetime(2024, 9, 12, 15, 15, tzinfo=UTC)),
            ("Thu, 12 Sep 2024 10:15:00 CEST", datetime(2024, 9, 12, 8, 15, tzinfo=UTC)),
            ("2024-09-12T10:15Z", datetime(2024, 9, 12, 10, 15, tzinfo=UTC)),
            ("2024-09-12 10:15:00 UTC", datetime(2024, 9, 12, 10, 15, tzinfo=UTC)),
        ],
    )
    def test_rfc822_and_iso8601_become_aware_utc(self, raw: str, expected: datetime) -> None:
        parsed = parse_date(raw)
        assert parsed == expected and parsed is not None and parsed.utcoffset() is not None

    def test_an_unparseable_date_is_none_with_a_warning_never_now(self) -> None:
        item = one_item("<item><guid>g1</guid><title>T</title><pubDate>next Tuesday</pubDate></item>")
        warnings: list[str] = []
        job = normalize_item(item, "rss", "e.com", warnings)
        assert job.date_posted is None
        assert warnings == ["e.com:g1: unparseable date 'next Tuesday'"]

    def test_valid_through_is_read_from_schema_org_valid_through(self) -> None:
        job = normalize_item(
            {"title": "T", "guid": "g", "validThrough": "2024-02-02T10:00:00Z"}, "jobs", "e.com"
        )
        assert job.valid_through == datetime(2024, 2, 2, 10, tzinfo=UTC)

    def test_dc_date_and_expiry_fields_are_read(self) -> None:
        item = {"title": "T", "guid": "g", "date": "2024-01-02", "expiration": "2024-02-02"}
        job = normalize_item(item, "rss", "e.com")
        assert (job.date_posted, job.valid_through) == (
            datetime(2024, 1, 2, tzinfo=UTC),
            datetime(2024, 2, 2, tzinfo=UTC),
        )


class TestFields:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("Full-Time", [EmploymentType.FULL_TIME]),
            ("Full Time", [EmploymentType.FULL_TIME]),
            ("full_time", [EmploymentType.FULL_TIME]),
            ("Fulltime", [EmploymentType.FULL_TIME]),
            ("Part Time", [EmploymentType.PART_TIME]),
            ("Contract", [EmploymentType.CONTRACTOR]),
            ("Internship", [EmploymentType.INTERN]),
            ("Temporary", [EmploymentType.TEMPORARY]),
            ("Full Time, Contract, full-time", [EmploymentType.FULL_TIME, EmploymentType.CONTRACTOR]),
            ("Cofounder", [EmploymentType.OTHER]),
        ],
    )
    def test_employment_types_map_to_the_enum_and_keep_the_raw_text(
        self, raw: str, expected: list[EmploymentType]
    ) -> None:
        job = normalize_item({"title": "T", "guid": "g", "job_type": raw}, "rss", "e.com")
        assert (job.employment_types, job.employment_type_raw) == (expected, raw)

    def test_employment_type_lists_split_on_slashes_and_ands(self) -> None:
        job = normalize_item(
            {"title": "T", "guid": "g", "type": "Part-time / Seasonal and Volunteer"}, "rss", "e.com"
        )
        assert job.employment_types == [
            EmploymentType.PART_TIME,
            EmploymentType.TEMPORARY,
            EmploymentType.VOLUNTEER,
        ]

    def test_wwr_company_element_wins_over_the_title_prefix(self) -> None:
        item = {"title": "Acme: Engineer", "company": "Acme Inc", "guid": "g"}
        job = normalize_item(item, "rss", "weworkremotely.com")
        assert (job.title, job.company and job.company.name) == ("Acme: Engineer", "Acme Inc")

    def test_titles_of_other_sites_are_never_split(self) -> None:
        job = normalize_item({"title": "Nurse: Night Shift", "guid": "g"}, "rss", "jobicy.com")
        assert (job.title, job.company) == ("Nurse: Night Shift", None)

    def test_a_feed_with_a_company_field_keeps_at_company_titles_whole(self) -> None:
        item = {"title": "Engineer at Google", "company": "Recruit Co", "guid": "g"}
        job = normalize_item(item, "atom", "jobs.techcorridor.io")
        assert (job.title, job.company and job.company.name) == ("Engineer at Google", "Recruit Co")

    def test_without_a_company_field_techcorridor_titles_give_it(self) -> None:
        job = normalize_item({"title": "Engineer at Google", "id": "g"}, "atom", "jobs.techcorridor.io")
        assert (job.title, job.company and job.company.name) == ("Engineer", "Google")

    def test_company_links_that_are_not_web_links_are_dropped(self) -> None:
        item = {
            "title": "T",
            "guid": "g",
            "company": "C",
            "company_url": "javascript:x()",
            "company_logo": "/l.png",
        }
        assert normalize_item(item, "rss", "e.com").company == Company(name="C")

    def test_locations_split_on_slashes_and_semicolons_but_not_commas(self) -> None:
        item = {"title": "T", "guid": "g", "location": "Paris, FR / Remote (EU); Berlin"}
        job = normalize_item(item, "jobs", "e.com")
        assert [location.raw for location in job.locations] == ["Paris, FR", "Remote (EU)", "Berlin"]

    def test_rss_categories_repeat_and_may_carry_a_domain(self) -> None:
        item = one_item(
            '<item><guid>g</guid><title>T</title><category domain="x">Ops</category>'
            "<category>Dev</category><category>Ops</category></item>"
        )
        assert normalize_item(item, "rss", "e.com").categories == ["Ops", "Dev"]

    def test_content_encoded_is_preferred_to_the_summary_description(self) -> None:
        item = {"title": "T", "guid": "g", "description": "short", "encoded": "<p>long</p>"}
        assert normalize_item(item, "rss", "e.com").description_html == "<p>long</p>"


class TestWorkplace:
    @pytest.mark.parametrize(
        ("item", "expected"),
        [
            ({"remote": "1"}, (WorkplaceType.REMOTE, True)),
            ({"remote": "true", "location": "Oslo"}, (WorkplaceType.REMOTE, True)),
            ({"remote": "0", "location": "Oslo / Remote"}, (None, False)),
            ({"location_type": "hybrid"}, (WorkplaceType.HYBRID, False)),
            ({"workplace_type": "ON_SITE"}, (WorkplaceType.ON_SITE, False)),
            ({"jobLocationType": "TELECOMMUTE"}, (WorkplaceType.REMOTE, True)),
            ({"location": "Worldwide"}, (WorkplaceType.REMOTE, True)),
            ({"location": "London (Hybrid)"}, (WorkplaceType.HYBRID, False)),
            ({"title": "Nurse - Onsite"}, (WorkplaceType.ON_SITE, False)),
            ({"title": "Go Developer (Remote)"}, (WorkplaceType.REMOTE, True)),
            ({"title": "Remote Sensing Scientist"}, (None, None)),
            ({"job_type": "Full Time, Hybrid"}, (WorkplaceType.HYBRID, False)),
            ({"location": "Oslo"}, (None, None)),
        ],
    )
    def test_the_strongest_evidence_gives_the_workplace_type(
        self, item: dict[str, str], expected: tuple[WorkplaceType | None, bool | None]
    ) -> None:
        job = normalize_item({"title": "T", "guid": "g", **item}, "jobs", "e.com")
        assert (job.workplace_type, job.remote) == expected


class TestFieldMap:
    ODD_EXPORT = b"""<jobs><job>
        <ref>A-17</ref><position>Sous Chef</position><employer_title>Bistro Nord</employer_title>
        <town>Bergen, Norway</town><detail_page>https://odd.example/17?utm_source=x</detail_page>
        <apply_here>https://odd.example/17/apply</apply_here><opened>2024-03-01</opened>
        <body>&lt;p&gt;Cook.&lt;/p&gt;</body><pay>NOK 600 000 per year</pay><hours>Part time</hours>
        <dept>Kitchen</dept><title>Internal code KX-9</title><guid>ignored-guid</guid>
    </job></jobs>"""
    FIELD_MAP = {
        "id": "ref",
        "title": "position",
        "company": "employer_title",
        "location": "town",
        "url": "detail_page",
        "apply_url": "apply_here",
        "date_posted": "opened",
        "description": "body",
        "salary": "pay",
        "employment_type": "hours",
        "category": "dept",
    }

    def test_mapped_element_names_win_over_the_built_in_guesses(self) -> None:
        parsed = parse_feed(self.ODD_EXPORT)
        job = normalize_item(parsed.items[0], parsed.format, "odd.example", field_map=self.FIELD_MAP)
        assert (job.job_key, job.title, job.company and job.company.name) == (
            "odd.example:A-17",
            "Sous Chef",
            "Bistro Nord",
        )
        assert [(place.city, place.country) for place in job.locations] == [("Bergen", "NO")]
        assert (job.url, job.apply_url) == ("https://odd.example/17", "https://odd.example/17/apply")
        assert (job.date_posted, job.description_text) == (datetime(2024, 3, 1, tzinfo=UTC), "Cook.")
        assert job.salary is not None and (job.salary.min, job.salary.currency, job.salary.interval) == (
            600000.0,
            "NOK",
            "YEAR",
        )
        assert (job.employment_types, job.categories) == ([EmploymentType.PART_TIME], ["Kitchen"])

    def test_without_the_map_the_same_export_falls_back_to_guesses(self) -> None:
        parsed = parse_feed(self.ODD_EXPORT)
        job = normalize_item(parsed.items[0], parsed.format, "odd.example")
        assert (job.job_key, job.title, job.company) == (
            "odd.example:ignored-guid",
            "Internal code KX-9",
            None,
        )

    def test_normalize_feed_passes_the_map_and_warns_about_unknown_fields(self) -> None:
        run = RunStarted(
            run_id="r", trigger_id="t", trigger=Trigger.API, feed_id="f", feed_url="https://odd.example"
        )
        field_map = {**self.FIELD_MAP, "salry": "pay"}
        normalized = normalize_feed(parse_feed(self.ODD_EXPORT), "odd.example", run, field_map=field_map)
        assert [job.title for job in normalized.jobs] == ["Sous Chef"]
        assert normalized.warnings == ["field_map: 'salry' is not a mappable job field, ignored"]


def test_an_oversized_description_is_capped_with_a_warning() -> None:
    warnings: list[str] = []
    huge = "<p>" + "x" * (MAX_DESCRIPTION_CHARS + 10) + "</p>"
    job = normalize_item({"title": "T", "guid": "g", "description": huge}, "rss", "e.com", warnings)
    assert job.description_text is not None and len(job.description_text) == MAX_DESCRIPTION_CHARS - 3
    assert warnings == [f"e.com:g: description of {len(huge)} characters cut to {MAX_DESCRIPTION_CHARS}"]
