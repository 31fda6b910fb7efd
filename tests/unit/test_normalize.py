"""Raw item → Job: identity, fields and dates, on small inline items."""

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.events import Outcome, RunStarted, Trigger
from schemas.job import EmploymentType, Job
from services.fetcher.identity import canonical_url, collapse_duplicates, job_key, source_of
from services.fetcher.normalize import InvalidItem, normalize_feed, normalize_item
from services.fetcher.parse import parse_feed
from services.fetcher.text import html_to_text, parse_date


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

    def test_tracking_parameters_are_dropped(self) -> None:
        url = "https://e.com/j?utm_source=rss&id=7&fbclid=abc&UTM_Medium=x&gclid=1&ref=partner"
        assert canonical_url(url) == "https://e.com/j?id=7&ref=partner"

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

    def test_wwr_company_element_wins_over_the_title_prefix(self) -> None:
        item = {"title": "Acme: Engineer", "company": "Acme Inc", "guid": "g"}
        job = normalize_item(item, "rss", "weworkremotely.com")
        assert (job.title, job.company and job.company.name) == ("Acme: Engineer", "Acme Inc")

    def test_titles_of_other_sites_are_never_split(self) -> None:
        job = normalize_item({"title": "Nurse: Night Shift", "guid": "g"}, "rss", "jobicy.com")
        assert (job.title, job.company) == ("Nurse: Night Shift", None)

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


class TestHtmlToText:
    def test_tags_are_stripped_and_blocks_separated(self) -> None:
        html = "<p><strong>Salary:</strong> $100k</p><ul><li>Go</li><li>SQL</li></ul>Tom&nbsp;&amp;&#32;Jerry"
        assert html_to_text(html) == "Salary: $100k Go SQL Tom & Jerry"

    def test_scripts_and_styles_are_not_text(self) -> None:
        assert html_to_text("<style>p{}</style><p>Hi</p><script>alert(1)</script>there") == "Hi there"
