"""Pay → Salary: from structured min/max fields, or read from a line of text.

Text is read conservatively: amounts marked by a currency (a symbol or code before or after
them) are preferred to bare numbers, so "Band 7A ... $100,353 ... closes 11:59pm" reads as
100353. Two amounts joined by a dash, "to" or "à" are a range; one amount is both ends, unless
"from"/"starting"/"up to" says which end it is. The interval is read only next to the amounts
("annual salary: $X", "$X - $Y per year"): "+ super + monthly day off" is not a monthly
salary. A currency is only ever one the text names: "$" alone is used by a dozen countries, so
it marks an amount but never sets USD.
"""

import re

from schemas.job import Salary

CURRENCY_CODES = {"USD", "EUR", "GBP", "AUD", "CAD", "NZD", "CHF", "JPY", "INR", "SEK", "NOK", "DKK"}
CURRENCY_CODES |= {"PLN", "BRL", "MXN", "SGD", "HKD", "ZAR", "CZK", "HUF", "ILS", "CNY", "RON", "TRY"}
CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "US$": "USD", "A$": "AUD", "AU$": "AUD"}
CURRENCY_SYMBOLS |= {"C$": "CAD", "CA$": "CAD", "NZ$": "NZD", "R$": "BRL"}
MARKER = r"(?:US|AU|CA|NZ|[ACR])?\$|[€£₹]|[A-Z]{3}(?:\s?\$)?"
AMOUNT = re.compile(
    rf"(?:(?P<before>{MARKER})\s?)?(?<![\w.,:])"
    r"(?P<number>\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?)"
    r"(?:\s?(?P<multiplier>[kKmM]))?(?![\w])(?!-\d{1,2}-|:\d)"  # not a date or a time
    r"(?:\s?(?P<after>[€£₹]|[A-Z]{3}\b(?!\s?\$?\s?\d)))?"  # "8 AUD $92,110": AUD is the next one's
)
RANGE_JOINER = re.compile(
    r"\s*(?:p/h\s*|/\s?h(?:ou)?r\s*)?(?:-|\u2013|\u2014|to|à|bis|and)\s*", re.IGNORECASE
)
LOWER_BOUND = re.compile(r"\b(?:from|starting|starts at|minimum|min\.?)\b", re.IGNORECASE)
UPPER_BOUND = re.compile(r"\bup to\b", re.IGNORECASE)
UNIT = (
    r"(?:(?P<HOUR>hours?|hourly|hr|h|p/h|heure|stunde)|(?P<DAY>days?|daily|jour)"
    r"|(?P<WEEK>weeks?|weekly|semaine)|(?P<MONTH>months?|monthly|mo|mois|monat)"
    r"|(?P<YEAR>years?|yearly|annual|annually|annum|yr|p\.?a|an))\b\.?"
)
INTERVAL_WORD = re.compile(rf"\b{UNIT}", re.IGNORECASE)
INTERVAL_AFTER = re.compile(
    rf"\s*(?:\([^)]{{0,60}}\)\s*)?(?:salary\s+)?(?:per\s+|an?\s+|par\s+|/\s?)?{UNIT}", re.IGNORECASE
)
INTERVAL_BEFORE = re.compile(rf"\b{UNIT}\s*(?:salary|rate|wage|pay)?\s*(?:range)?[\s:]*$", re.IGNORECASE)
MULTIPLIERS = {"k": 1e3, "m": 1e6}
# A labelled line can run on for a paragraph ("Salary: $X - $Y per year. Flexible hours, ...");
# its pay is near the start (at 226 of 241 characters in the football feed), and reading amounts
# further in costs more than the rest of the item.
AMOUNTS_WITHIN_CHARS = 500


def salary_from_text(raw: str) -> Salary:
    amounts = list(AMOUNT.finditer(raw, 0, AMOUNTS_WITHIN_CHARS))
    used = next((_range_from(raw, amounts, amount) for amount in amounts if _marked(amount)), [])
    # Bare numbers count only when none is marked and they read as pay: a range or a rate
    # ("80000 - 100000", "50000 per year"), never "401k retirement plan" or "2026-06-09".
    used = used or next(filter(None, (_bare_pay(raw, amounts, amount) for amount in amounts)), [])
    low, high = _bounds(raw, used)
    if low is not None and high is not None and high < low:
        high = None  # a typo such as "$96,344 - $114, 153" must not become a range down to 114
    return Salary(raw=raw, min=low, max=high, currency=_currency(used), interval=_interval(raw, used))


def salary_from_fields(
    low: str | None, high: str | None, currency: str | None, interval: str | None
) -> Salary:
    marked = [
        found for found in (AMOUNT.search(low or ""), AMOUNT.search(high or "")) if found and _marked(found)
    ]
    named = currency.strip().upper() if currency and currency.strip().upper() in CURRENCY_CODES else None
    return Salary(
        raw=" - ".join(amount for amount in (low, high) if amount),
        min=_value(AMOUNT.search(low)) if low else None,
        max=_value(AMOUNT.search(high)) if high else None,
        currency=named or _currency(marked),
        interval=interval_of(interval) if interval else None,
    )


def interval_of(text: str) -> str | None:
    found = INTERVAL_WORD.search(text)
    return found.lastgroup if found else None


def _interval(raw: str, used: list[re.Match[str]]) -> str | None:
    if not used:
        return None
    after = INTERVAL_AFTER.match(raw, used[-1].end())
    before = INTERVAL_BEFORE.search(raw[max(0, used[0].start() - 40) : used[0].start()])
    found = after or before
    return found.lastgroup if found else None


def _range_from(raw: str, amounts: list[re.Match[str]], first: re.Match[str]) -> list[re.Match[str]]:
    """The first amount, and the next one when the two make a range ("$ 114,259 - 127,587")."""
    following = amounts[amounts.index(first) + 1 :]
    if following and RANGE_JOINER.fullmatch(raw[first.end() : following[0].start()]):
        return [first, following[0]]
    return [first]


def _bare_pay(raw: str, amounts: list[re.Match[str]], amount: re.Match[str]) -> list[re.Match[str]]:
    if not (amount["multiplier"] or sum(character.isdigit() for character in amount["number"]) >= 3):
        return []  # "2026-06-09": two digits are a day or a month, not pay
    used = _range_from(raw, amounts, amount)
    return used if len(used) == 2 or INTERVAL_AFTER.match(raw, amount.end()) else []


def _bounds(raw: str, used: list[re.Match[str]]) -> tuple[float | None, float | None]:
    if not used:
        return None, None
    first = used[0]
    if len(used) > 1:
        return _value(first), _value(used[1])
    before = raw[: first.start()]
    if UPPER_BOUND.search(before):
        return None, _value(first)
    return _value(first), None if LOWER_BOUND.search(before) else _value(first)


def _value(amount: re.Match[str] | None) -> float | None:
    if amount is None:
        return None
    *whole, last = re.split(r"[,.\u00a0\u202f ]", amount["number"])
    # A last group of one or two digits is the decimals ("62.97"); of three, thousands ("45.000").
    number = float(f"{''.join(whole)}.{last}") if whole and len(last) < 3 else float("".join([*whole, last]))
    return number * MULTIPLIERS.get((amount["multiplier"] or "").lower(), 1)


def _marked(amount: re.Match[str]) -> bool:
    return any(marker and ("$" in marker or _code(marker)) for marker in (amount["before"], amount["after"]))


def _currency(amounts: list[re.Match[str]]) -> str | None:
    for amount in amounts:
        for marker in (amount["before"], amount["after"]):
            code = _code(marker) if marker else None
            if code:
                return code
    return None


def _code(marker: str) -> str | None:
    marker = marker.replace(" ", "")
    if marker[:3] in CURRENCY_CODES:
        return marker[:3]
    return CURRENCY_SYMBOLS.get(marker)
