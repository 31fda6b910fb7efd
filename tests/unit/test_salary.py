"""Pay text and pay fields → Salary (min, max, currency, interval, raw)."""

import pytest

from services.fetcher.normalize.salary import salary_from_fields, salary_from_text

# (raw, min, max, currency, interval)
READ_FROM_TEXT = [
    ("$80,000 - $100,000 per year", 80000.0, 100000.0, None, "YEAR"),
    ("£30k\u2013£40k", 30000.0, 40000.0, "GBP", None),  # an en dash
    ("USD 50/hour", 50.0, 50.0, "USD", "HOUR"),
    ("€45.000 a year", 45000.0, 45000.0, "EUR", "YEAR"),
    ("45 000 € par an", 45000.0, 45000.0, "EUR", "YEAR"),
    ("De 500€ à 1700€ par mois", 500.0, 1700.0, "EUR", "MONTH"),
    ("Hourly Rate AUD $35.69 - $37.98", 35.69, 37.98, "AUD", "HOUR"),
    ("Annual Salary AUD $70,527.00 - $75,049.00", 70527.0, 75049.0, "AUD", "YEAR"),
    ("A$95,000 p.a. + super", 95000.0, 95000.0, "AUD", "YEAR"),
    ("€1.234,56 per month", 1234.56, 1234.56, "EUR", "MONTH"),
    ("Salary range starts at: $100,353 per year + Super", 100353.0, None, None, "YEAR"),
    ("up to 60k EUR", None, 60000.0, "EUR", None),
    ("80000 - 100000 per year", 80000.0, 100000.0, None, "YEAR"),
    ("$ 114,259 - 127,587 salary per annum", 114259.0, 127587.0, None, "YEAR"),
    ("Full time Band 7A annual salary: $100,353 (pro rata)", 100353.0, 100353.0, None, "YEAR"),
    ("Parks Level 8 AUD $92,110.05 - $92,110.05", 92110.05, 92110.05, "AUD", None),
    ("£12.95 p/h to £16.50 p/h", 12.95, 16.5, "GBP", "HOUR"),
    ("$96,344 - $114, 153 + super", 96344.0, None, None, None),
]


@pytest.mark.parametrize(("raw", "low", "high", "currency", "interval"), READ_FROM_TEXT)
def test_amounts_currency_and_interval_are_read_from_text(
    raw: str, low: float | None, high: float | None, currency: str | None, interval: str | None
) -> None:
    salary = salary_from_text(raw)
    assert (salary.raw, salary.min, salary.max, salary.currency, salary.interval) == (
        raw,
        low,
        high,
        currency,
        interval,
    )


class TestNeverInvented:
    def test_a_bare_dollar_sign_sets_no_currency(self) -> None:
        assert salary_from_text("$120,000").currency is None

    @pytest.mark.parametrize(
        "raw",
        [
            "Competitive",
            "Inter Miami CF offers a competitive package and 401k retirement plan.",
            "2026-06-09 16:39:04 2026-08-08 16:39:04 , AUD Casual",
            "Band 7, starting January 2026",
        ],
    )
    def test_text_without_pay_keeps_only_its_raw_form(self, raw: str) -> None:
        salary = salary_from_text(raw)
        assert (salary.raw, salary.min, salary.max, salary.currency) == (raw, None, None, None)

    def test_a_monthly_day_off_is_not_a_monthly_salary(self) -> None:
        assert salary_from_text("$96,344 + super + monthly day off").interval is None


class TestStructuredFields:
    def test_min_max_currency_and_time_frame_fields(self) -> None:
        salary = salary_from_fields("$90K", "$110K", "usd", "annually")
        assert salary.model_dump() == {
            "raw": "$90K - $110K",
            "min": 90000.0,
            "max": 110000.0,
            "currency": "USD",
            "interval": "YEAR",
        }

    def test_a_currency_symbol_in_the_amount_stands_in_for_a_missing_field(self) -> None:
        salary = salary_from_fields("£25,000", None, None, "hourly")
        assert (salary.min, salary.max, salary.currency, salary.interval) == (25000.0, None, "GBP", "HOUR")
