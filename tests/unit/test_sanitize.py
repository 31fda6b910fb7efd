"""Feed HTML → HTML the dashboard can render, and → plain text."""

import pytest

from services.fetcher.normalize.sanitize import MAX_DESCRIPTION_CHARS, describe, html_to_text, sanitize_html


class TestSanitizedHtml:
    def test_a_hostile_description_loses_scripts_handlers_frames_and_script_links(self) -> None:
        hostile = (
            '<p onmouseover="steal()">Hello<script>alert(1)</script></p>'
            '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">click</a>'
            '<iframe src="https://evil.example/">inside</iframe><style>p{display:none}</style>'
            '<svg><script>alert(4)</script></svg><a href="JaVaScRiPt:alert(5)">again</a>'
        )
        assert sanitize_html(hostile) == (
            '<p>Hello</p><a rel="nofollow noopener">click</a><a rel="nofollow noopener">again</a>'
        )

    def test_links_keep_http_https_and_mailto_and_get_nofollow(self) -> None:
        html = (
            '<a href="https://e.com/?a=1&b=2" target="_blank">web</a><a href="mailto:hr@e.com">mail</a>'
            '<a href="ftp://e.com/f">ftp</a><a href="/relative">rel</a>'
        )
        assert sanitize_html(html) == (
            '<a href="https://e.com/?a=1&amp;b=2" rel="nofollow noopener">web</a>'
            '<a href="mailto:hr@e.com" rel="nofollow noopener">mail</a>'
            '<a rel="nofollow noopener">ftp</a><a rel="nofollow noopener">rel</a>'
        )

    def test_the_allow_list_keeps_structure_and_drops_styling(self) -> None:
        html = (
            '<h2 class="x">Role</h2><div style="color:red"><ul><li><b>Go</b></li></ul></div>'
            '<table><tr><td colspan="2">cell</td></tr></table><pre><code>x = 1</code></pre>'
            "<span>plain</span><form><input name=q></form><blockquote>q</blockquote><!-- note -->"
        )
        assert sanitize_html(html) == (
            "<h2>Role</h2><div><ul><li><b>Go</b></li></ul></div>"
            '<table><tbody><tr><td colspan="2">cell</td></tr></tbody></table><pre><code>x = 1</code></pre>'
            "plain<blockquote>q</blockquote>"
        )


class TestPlainText:
    def test_blocks_become_lines_and_entities_are_unescaped(self) -> None:
        html = "<p><strong>Salary:</strong> $100k</p><ul><li>Go</li><li>SQL</li></ul>Tom&nbsp;&amp;&#32;Jerry"
        assert html_to_text(html) == "Salary: $100k\nGo\nSQL\nTom & Jerry"

    def test_scripts_and_styles_are_not_text(self) -> None:
        assert html_to_text("<style>p{}</style><p>Hi</p><script>alert(1)</script>there") == "Hi\nthere"

    def test_whitespace_collapses_and_table_cells_are_spaced(self) -> None:
        html = "<p>  a \n\n b  </p>\n\n<br/><br/><table><tr><td>x</td><td>y</td></tr></table>"
        assert html_to_text(html) == "a b\nx y"

    def test_plain_text_input_is_escaped_into_html_and_read_back(self) -> None:
        description = describe("Fish & Chips <3 and 5 > 4")
        assert (description.html, description.text) == (
            "Fish &amp; Chips &lt;3 and 5 &gt; 4",
            "Fish & Chips <3 and 5 > 4",
        )


class TestDescribe:
    def test_no_description_is_none_on_both_sides(self) -> None:
        assert (describe(None).html, describe("").text) == (None, None)

    def test_over_the_cap_the_raw_html_is_cut_and_its_length_kept(self) -> None:
        description = describe("<p>" + "y" * MAX_DESCRIPTION_CHARS + "</p>")
        assert description.capped_from == MAX_DESCRIPTION_CHARS + 7
        assert description.html == "<p>" + "y" * (MAX_DESCRIPTION_CHARS - 3) + "</p>"  # closed again

    @pytest.mark.parametrize(
        ("text", "labels"),
        [
            ("Council: Alpine\nSalary: $1\nSalary: $2", {"council": "Alpine", "salary": "$1"}),
            ("No labels here\nA sentence: with a colon", {"a sentence": "with a colon"}),
            ("Closes: 11:59pm", {"closes": "11:59pm"}),
        ],
    )
    def test_label_lines_are_read_first_one_wins(self, text: str, labels: dict[str, str]) -> None:
        assert describe(f"<p>{text.replace(chr(10), '</p><p>')}</p>").labels == labels
