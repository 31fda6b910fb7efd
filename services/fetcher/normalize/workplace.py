"""Where the work happens (remote, hybrid, on-site), from the strongest evidence an item has.

Best first: a workplace field (`location_type`, `workplace_type`, a `remote` flag that is set),
a site that lists only remote jobs, what the locations say ("Remote (US)"), then the title and
the job type ("Senior Engineer - Remote", "Full Time, Hybrid"). A `remote` flag of 0/false
rules out REMOTE but does not say which of the other two it is.
"""

import re

from schemas.job import WorkplaceType
from services.fetcher.normalize.places import WORKPLACE_WORDS

REMOTE_ONLY_SOURCES = {"weworkremotely.com", "jobicy.com"}
DECLARED_WORDS = WORKPLACE_WORDS | {
    "telecommute": WorkplaceType.REMOTE,  # schema.org jobLocationType
    "office": WorkplaceType.ON_SITE,
    "in office": WorkplaceType.ON_SITE,
    "in-office": WorkplaceType.ON_SITE,
}
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "remote"}, {"0", "false", "no"}
# "Remote Sensing Scientist" is a kind of work, not a place to do it.
WORDS_IN_TEXT = (
    (re.compile(r"\bhybrid\b", re.IGNORECASE), WorkplaceType.HYBRID),
    (re.compile(r"\bon-?site\b|\bin[- ]office\b", re.IGNORECASE), WorkplaceType.ON_SITE),
    (
        re.compile(r"\bremote\b(?!\s+(?:sensing|control|monitoring|pilot))", re.IGNORECASE),
        WorkplaceType.REMOTE,
    ),
)


def workplace_of(
    declared: str | None,
    remote: str | None,
    source: str,
    stated: WorkplaceType | None,
    texts: tuple[str | None, ...],
) -> tuple[WorkplaceType | None, bool | None]:
    """The workplace and the job's `remote` flag, from a declared workplace word, a `remote`
    field, the site, what the locations stated, then the texts (title, job type)."""
    flag = _flag(remote)
    found = _declared(declared) or (WorkplaceType.REMOTE if flag else None)
    found = found or (WorkplaceType.REMOTE if source in REMOTE_ONLY_SOURCES else None)
    found = found or stated or next(filter(None, map(_said, texts)), None)
    where = None if flag is False and found is WorkplaceType.REMOTE else found
    return where, flag if where is None else where is WorkplaceType.REMOTE


def _flag(raw: str | None) -> bool | None:
    flag = (raw or "").lower()
    return True if flag in TRUE_WORDS else False if flag in FALSE_WORDS else None


def _declared(word: str | None) -> WorkplaceType | None:
    return DECLARED_WORDS.get(" ".join(word.lower().replace("_", " ").split())) if word else None


def _said(text: str | None) -> WorkplaceType | None:
    for pattern, workplace in WORDS_IN_TEXT:
        if text and pattern.search(text):
            return workplace
    return None
