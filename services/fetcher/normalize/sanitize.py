"""Feed HTML → HTML the dashboard can render as is, → plain text, and → the text's "Label: value" lines.

Sanitizing is an allow-list (ammonia via nh3): anything not listed — scripts, styles, iframes,
forms, images, event handlers, `style`/`class`, javascript: and relative URLs — is dropped.
Plain text is read off the sanitized HTML with regular expressions, which is safe only because
ammonia's serializer is regular: every `<` in its output opens a tag and every `>` closes one
(both are escaped in text and attribute values).
"""

import html
import re
from dataclasses import dataclass
from functools import cached_property

import nh3

MAX_DESCRIPTION_CHARS = 256 * 1024
# "Salary: ..." label lines head a description; reading only its head keeps long ones cheap.
LABELS_HEAD_CHARS = 4096
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "blockquote", "code", "pre"}
ALLOWED_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6"}
ALLOWED_TAGS |= {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"}
# Not in the list but attribute-free and inert: without them WWR and football-jobs
# descriptions, laid out in <div>s and <hr>s, run their paragraphs together.
ALLOWED_TAGS |= {"div", "hr"}
CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    # Removed with their content: what is inside is code or a foreign document, not text.
    clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template"},
    attributes={"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
    link_rel="nofollow noopener",
    url_schemes={"http", "https", "mailto"},
    # Relative links would resolve against the dashboard's own origin, never the job site's.
    url_relative="deny",
)
BLOCK_TAG = re.compile(
    r"</?(?:p|br|li|ul|ol|h[1-6]|blockquote|pre|table|thead|tbody|tfoot|tr|caption|div|hr)\b[^>]*>"
)
CELL_TAG = re.compile(r"</?t[dh]\b[^>]*>")
ANY_TAG = re.compile(r"<[^>]*>")
# Whitespace runs (str.split()'s whitespace, line breaks aside) become one space. The runs that
# already are a single space are left alone: matching them too made this the slowest step.
OTHER_SPACES = "\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SPACES = re.compile(f"[{OTHER_SPACES}][ {OTHER_SPACES}]*| [ {OTHER_SPACES}]+")
# A break with the spaces and blank lines around it becomes one break (a bare break stays as is).
LINE_BREAKS = re.compile(r" \n[\n ]*|\n[\n ]+")
LABEL_LINE = re.compile(r"^(?P<label>[^\n:]{1,30}):[ \t]*(?P<value>\S[^\n]*)", re.MULTILINE)


@dataclass(frozen=True)
class Description:
    html: str | None = None
    text: str | None = None
    capped_from: int | None = None  # the raw length, when the raw HTML was over the cap

    @cached_property
    def labels(self) -> dict[str, str]:
        return label_lines(self.text[:LABELS_HEAD_CHARS] if self.text else None)


def describe(raw: str | None) -> Description:
    if not raw:
        return Description()
    # Cutting mid-tag is safe: the sanitizer closes or drops whatever was left open.
    capped = len(raw) > MAX_DESCRIPTION_CHARS
    safe_html = sanitize_html(raw[:MAX_DESCRIPTION_CHARS])
    return Description(safe_html, text_of_sanitized(safe_html), len(raw) if capped else None)


def sanitize_html(raw: str) -> str:
    return CLEANER.clean(raw).strip()


def text_of_sanitized(safe_html: str) -> str:
    """Blocks become lines, table cells spaces; entities are unescaped, whitespace collapsed."""
    if "<" not in safe_html and "&" not in safe_html:
        return " ".join(safe_html.split())
    text = CELL_TAG.sub(" ", BLOCK_TAG.sub("\n", safe_html.replace("\n", " ")))
    text = SPACES.sub(" ", html.unescape(ANY_TAG.sub("", text)))
    return LINE_BREAKS.sub("\n", text).strip()


def html_to_text(raw: str) -> str:
    return text_of_sanitized(sanitize_html(raw))


def label_lines(text: str | None) -> dict[str, str]:
    """`Salary: $100,353` lines of a plain-text description, by lower-case label; first one wins."""
    labels: dict[str, str] = {}
    for line in LABEL_LINE.finditer(text or ""):
        labels.setdefault(line["label"].strip().lower(), line["value"].strip())
    return labels
