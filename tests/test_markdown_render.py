"""Runbook Markdown on markdown-it-py: CommonMark rendering, GitHub anchors, safe links.

Each CommonMark case below was rendered wrongly by the hand-written renderer this replaced;
the section parser's cases were split wrongly by its line-by-line regex.
"""

from __future__ import annotations

import re

import pytest
from preflight_scanner.reports.markdown_html import (
    Embedding,
    page_anchors,
    render_markdown,
    render_section,
)
from preflight_scanner.runbooks import Slugger, parse_runbook, slug

# -- CommonMark the old renderer got wrong -----------------------------------------------------


def test_setext_headings_are_headings() -> None:
    html = render_markdown("Restore a table\n===============\n\nThen verify\n-----------\n",
                           heading_shift=2)
    assert html == "<h3>Restore a table</h3>\n<h4>Then verify</h4>"


def test_reference_links_resolve() -> None:
    html = render_markdown("See [the guide][AWS] and [Console][].\n\n"
                           '[aws]: https://docs.aws.amazon.com/ "AWS docs"\n'
                           "[console]: https://console.aws.amazon.com/\n")
    assert html == ('<p>See <a href="https://docs.aws.amazon.com/" title="AWS docs">the guide</a>'
                    ' and <a href="https://console.aws.amazon.com/">Console</a>.</p>')


def test_indented_code_is_code() -> None:
    html = render_markdown("Run:\n\n    aws s3 ls <bucket>\n    # not a heading\n")
    assert html == "<p>Run:</p>\n<pre><code>aws s3 ls &lt;bucket&gt;\n# not a heading</code></pre>"


def test_nested_emphasis() -> None:
    assert render_markdown("***both*** and *an **inner** one* and **a *b* c**") == (
        "<p><em><strong>both</strong></em> and <em>an <strong>inner</strong> one</em> and "
        "<strong>a <em>b</em> c</strong></p>")


def test_entities_are_decoded_once_and_escaped_once() -> None:
    assert render_markdown("AT&amp;T &copy; &#35; &lt;b&gt; &nosuch;") == (
        "<p>AT&amp;T \u00a9 # &lt;b&gt; &amp;nosuch;</p>")


def test_tables_align_by_class_and_strikethrough() -> None:
    html = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| ~~old~~ | 2 | 3 |\n")
    assert 'class="align-left"' in html and 'class="align-center"' in html
    assert 'class="align-right"' in html and "<s>old</s>" in html
    assert "style" not in html  # the report's CSP allows no inline style


# -- nothing foreign gets through --------------------------------------------------------------

@pytest.mark.parametrize("markdown,expected", [
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("x <b onclick=y>bold</b>", "<p>x &lt;b onclick=y&gt;bold&lt;/b&gt;</p>"),
    ("[x](javascript:alert(1))", '<p><span class="md-inert">x</span></p>'),
    ("[x](JAVASCRIPT:alert(1) \"t\")", '<p><span class="md-inert">x</span></p>'),
    ("[x](data:text/html,hi)", '<p><span class="md-inert">x</span></p>'),
    ("<vbscript:x>", '<p><span class="md-inert">vbscript:x</span></p>'),
    ("![diagram](https://evil.example/x.png)", '<p><span class="md-image">diagram</span></p>'),
    ("[mail us](mailto:oncall@example.com)", '<p><a href="mailto:oncall@example.com">mail us</a></p>'),
    ("<oncall@example.com>", '<p><a href="mailto:oncall@example.com">oncall@example.com</a></p>'),
])
def test_raw_html_is_text_and_only_safe_links_are_links(markdown: str, expected: str) -> None:
    assert render_markdown(markdown) == expected


def test_no_event_handler_style_or_script_in_any_output() -> None:
    hostile = ('# <img src=x onerror=y>\n\n| <b style="x">h</b> |\n|--|\n| `</td>` |\n\n'
               '```"><script>x</script>\n</code></pre>\n```\n\n- [a](<javascript:x>)\n'
               '- [b](" onmouseover="x)\n')
    html = render_markdown(hostile, embedding=Embedding("r", "rb", {}))
    assert not re.search(r"<[^>]*\s(on\w+|style)=", html)
    assert "<script" not in html and "<img" not in html and "<b " not in html


# -- relative links: in the page, on the wiki, or shown as text -------------------------------

def test_a_relative_link_without_a_place_to_go_is_text_with_its_target() -> None:
    assert render_markdown("[restore](disaster-recovery.md#restore)") == (
        '<p><span class="md-inert">restore <span class="md-target">'
        "(disaster-recovery.md#restore)</span></span></p>")


def test_a_relative_link_goes_to_the_embedded_section_first_then_the_wiki() -> None:
    anchors = page_anchors([("disaster-recovery#restore", "runbook-p0",
                             "## Restore\n\n### From a backup\n\nx\n")])
    assert anchors == {"disaster-recovery#restore": "runbook-p0",
                       "disaster-recovery": "runbook-p0",
                       "disaster-recovery#from-a-backup": "runbook-p0-from-a-backup"}
    here = Embedding("lambda-errors", "runbook-p1", anchors)
    text = ("[a](disaster-recovery.md#restore) [b](./disaster-recovery.md#from-a-backup) "
            "[c](other.md#x) [d](disaster-recovery.md)")
    assert render_markdown(text, embedding=here, base_url="https://wiki.example.com/ops/x.md") == (
        '<p><a href="#runbook-p0">a</a> <a href="#runbook-p0-from-a-backup">b</a> '
        '<a href="https://wiki.example.com/ops/other.md#x">c</a> <a href="#runbook-p0">d</a></p>')
    assert render_markdown("[c](other.md#x) [e](../elsewhere/disaster-recovery.md#restore)",
                           embedding=here) == (
        '<p><span class="md-inert">c <span class="md-target">(other.md#x)</span></span> '
        '<span class="md-inert">e <span class="md-target">'
        "(../elsewhere/disaster-recovery.md#restore)</span></span></p>")


def test_a_fragment_alone_points_into_the_same_runbook() -> None:
    anchors = page_anchors([("dr#restore", "rb-0", "## Restore\n\n### Wiederherstellung prüfen\n")])
    here = Embedding("dr", "rb-3", anchors)
    assert render_markdown("[r](#restore)", embedding=here) == '<p><a href="#rb-0">r</a></p>'
    # markdown-it percent-encodes the target; the anchor still matches the heading.
    assert render_markdown("[p](#wiederherstellung-prüfen)", embedding=here) == (
        '<p><a href="#rb-0-wiederherstellung-prüfen">p</a></p>')


def test_a_section_renders_without_its_heading_and_with_prefixed_heading_ids() -> None:
    html = render_section("Restore\n-------\n\nIntro.\n\n### Steps\n\n### Steps\n",
                          heading_shift=2, embedding=Embedding("dr", "rb-0", {}))
    assert html == '<p>Intro.</p>\n<h5 id="rb-0-steps">Steps</h5>\n<h5 id="rb-0-steps-1">Steps</h5>'


# -- GitHub anchors and the section parser -----------------------------------------------------

def test_duplicate_headings_are_numbered_as_github_does() -> None:
    anchor = Slugger()
    assert [anchor(t) for t in ("Foo", "Foo", "Foo-1", "Foo", "Bar")] == [
        "foo", "foo-1", "foo-1-1", "foo-2", "bar"]
    assert slug("Привет non-latin 你好") == "привет-non-latin-你好"
    assert slug("😄 emoji") == "-emoji"
    assert slug("a_b  c.d") == "a_b--cd"


def test_sections_come_from_the_parsers_headings() -> None:
    book = parse_runbook("dr", (
        "Disaster recovery\n=================\n\n"
        "Restore\n-------\n\n```bash\n## not a heading\n```\n\n    # nor this\n\n"
        "## Restore\n\ntwo\n\n### Use `aws dynamodb` *now*\n\n- ## in a list\n\n"
        "## Fail over\n"))
    assert book.title == "Disaster recovery"
    assert list(book.sections) == ["restore", "restore-1", "use-aws-dynamodb-now", "fail-over"]
    first = book.sections["restore"]
    assert first.title == "Restore" and first.level == 2
    assert first.markdown.startswith("Restore\n-------") and first.markdown.endswith("# nor this")
    assert book.sections["restore-1"].markdown.endswith("- ## in a list")
    assert book.sections["use-aws-dynamodb-now"].title == "Use aws dynamodb now"


def test_a_heading_over_two_lines_is_one_title() -> None:
    book = parse_runbook("dr", "Restore a\ntable\n---\n")
    assert [(s.anchor, s.title) for s in book.sections.values()] == [
        ("restore-a-table", "Restore a table")]


def test_windows_line_endings_keep_sections_whole() -> None:
    book = parse_runbook("dr", "# T\r\n\r\n## A\r\n\r\nbody\r\n\r\n## B\r\n")
    assert book.sections["a"].markdown == "## A\n\nbody"
