"""Runbook Markdown as HTML for the reports, on markdown-it-py (CommonMark, GitHub tables).

Runbook sections are shown inside the HTML reports, which stay self-contained and must never
run or fetch anything a runbook (an organisation's own, edited by many people) contains. The
parser is the one the runbook index uses (``preflight_scanner.runbooks.markdown_parser``:
raw HTML off, so ``<script>`` in a runbook is shown as text); this module only decides what
each token becomes, and emits nothing but tags it writes itself:

- every text is escaped; a table cell's alignment is a class, never a ``style`` attribute, so
  the page's Content-Security-Policy needs no ``'unsafe-inline'``;
- a link is kept only when its target is http(s), mailto or an anchor in the same page.
  A relative link to a runbook section the page embeds becomes an in-page anchor; any other
  relative link resolves against the runbook's wiki address when there is one, and is
  otherwise shown as text with its target (a saved report has no files beside it, and a
  broken link is worse than none). ``javascript:``, ``data:``, ``file:`` never become links;
- images become their alt text: a report makes no network request;
- headings get ids only when the caller says where the text sits in the page
  (``Embedding``), prefixed so runbook text cannot collide with the page's own ids.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import unquote, urljoin

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from preflight_scanner.runbooks import Slugger, headings, inline_text, markdown_parser

__all__ = ["Embedding", "page_anchors", "render_markdown", "render_section", "safe_href"]

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"'`]")
_ALIGN = re.compile(r"text-align:\s*(left|right|center)")
_RUNBOOK_FILE = re.compile(r"^(?:\./)?([^/]+)\.md$")


def safe_href(url: str, base: str | None = None) -> str | None:
    """The link target to emit, or None when it must not be a link.

    Allowed: http(s) and mailto URLs, and relative references. A relative reference is
    resolved against ``base`` when ``base`` is itself http(s).
    """
    url = url.strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].strip()
    if not url or _UNSAFE_URL_CHARS.search(url):
        return None
    match = _SCHEME.match(url)
    if match:
        return url if match.group(1).lower() in ("http", "https", "mailto") else None
    if url.startswith("//"):
        return None  # protocol-relative: another host, and file:// when opened locally
    if base and _is_web(safe_href(base) or ""):
        joined = urljoin(base, url)
        return joined if safe_href(joined) == joined else None
    return url


def _is_web(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Embedding:
    """Where a runbook text sits in a report page, so links between runbooks stay in the page.

    ``anchors`` maps ``runbook#anchor`` (and a bare ``runbook``) to the id of the element
    that shows it, for every section the page embeds (see ``page_anchors``)."""

    runbook: str  # the runbook the text comes from: "#x" and "other.md#x" resolve from it
    id_prefix: str  # its headings get the id "{id_prefix}-{anchor}"
    anchors: Mapping[str, str]


def page_anchors(embedded: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Element ids by runbook reference, from ``(ref, element id, section markdown)`` of each
    embedded section in page order: the first place a section appears is where links go.

    The section's subsections are reachable too, under the ids ``render_section`` gives
    their headings."""
    anchors: dict[str, str] = {}
    for ref, element_id, markdown in embedded:
        name, _, _ = ref.partition("#")
        anchors.setdefault(ref, element_id)
        anchors.setdefault(name, element_id)
        for heading in headings(markdown_parser().parse(markdown)):
            if heading.line > 0:  # the section's own heading is the element itself
                anchors.setdefault(f"{name}#{heading.anchor}", f"{element_id}-{heading.anchor}")
    return anchors


def render_markdown(text: str, *, heading_shift: int = 0, base_url: str | None = None,
                    embedding: Embedding | None = None) -> str:
    """HTML for ``text``. Headings move down ``heading_shift`` levels (capped at h6)."""
    return _render(text, heading_shift, base_url, embedding, drop_title=False)


def render_section(markdown: str, *, heading_shift: int = 0, base_url: str | None = None,
                   embedding: Embedding | None = None) -> str:
    """HTML for a runbook section without its own heading (the page shows the title),
    whichever syntax the heading has (``## x`` or an underlined one)."""
    return _render(markdown, heading_shift, base_url, embedding, drop_title=True)


def _render(text: str, heading_shift: int, base_url: str | None, embedding: Embedding | None,
            *, drop_title: bool) -> str:
    parser = markdown_parser()
    tokens = parser.parse(text)
    _Rewriter(heading_shift, base_url, embedding).rewrite(tokens)
    if drop_title and tokens and tokens[0].type == "heading_open":
        tokens = tokens[3:]
    return _Renderer().render(tokens, parser.options, {}).removesuffix("\n")


@dataclass(frozen=True)
class _Rewriter:
    """Decides, token by token, what the page may show: heading levels and ids, links,
    table alignment."""

    heading_shift: int
    base_url: str | None
    embedding: Embedding | None

    def rewrite(self, tokens: Sequence[Token]) -> None:
        slugger = Slugger()
        for i, token in enumerate(tokens):
            if token.type in ("heading_open", "heading_close"):
                level = min(6, int(token.tag[1]) + self.heading_shift)
                token.tag = f"h{level}"
                if token.type == "heading_open" and self.embedding is not None:
                    token.attrSet("id", f"{self.embedding.id_prefix}-"
                                        f"{slugger(inline_text(tokens[i + 1]).strip())}")
            elif token.type in ("th_open", "td_open"):
                _align_class(token)
            elif token.type == "inline" and token.children:
                self._links(token.children)

    def _links(self, children: list[Token]) -> None:
        open_links: list[Token] = []
        for child in children:
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                target = self._target(href)
                if target is None:
                    child.type = "inert_link_open"
                    # A relative target is worth reading; a javascript: one is not.
                    child.meta = {"target": "" if _SCHEME.match(href) else href}
                else:
                    child.attrSet("href", target)
                open_links.append(child)
            elif child.type == "link_close" and open_links:
                opened = open_links.pop()
                if opened.type == "inert_link_open":
                    child.type = "inert_link_close"
                    child.meta = opened.meta

    def _target(self, href: str) -> str | None:
        """Where the link goes in the page, or None: shown as text with its target."""
        if _SCHEME.match(href) or href.startswith("//"):
            return safe_href(href)  # absolute: http(s) and mailto only
        if safe_href(href) is None:
            return None
        in_page = self._in_page(href)
        if in_page is not None:
            return in_page
        if self.base_url and _is_web(self.base_url):
            return safe_href(href, self.base_url)
        return None

    def _in_page(self, href: str) -> str | None:
        """``#anchor`` or ``other-runbook.md#anchor``: the id where the page shows it."""
        if self.embedding is None:
            return None
        # markdown-it percent-encodes targets; anchors are compared as the heading's text.
        path, _, anchor = unquote(href).partition("#")
        path = posixpath.normpath(path.split("?", 1)[0]) if path else ""
        if not path:
            name = self.embedding.runbook
        elif match := _RUNBOOK_FILE.match(path):
            name = match.group(1)
        else:
            return None
        element = self.embedding.anchors.get(f"{name}#{anchor}" if anchor else name)
        return None if element is None else f"#{element}"


def _align_class(token: Token) -> None:
    style = str(token.attrGet("style") or "")
    if token.attrs:
        token.attrs.pop("style", None)
    if match := _ALIGN.search(style):
        token.attrSet("class", f"align-{match.group(1)}")


class _Renderer(RendererHTML):
    """markdown-it's renderer with compact output, plain code, images as text, inert links."""

    def renderToken(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                    env: EnvType) -> str:
        html = super().renderToken(tokens, idx, options, env)
        token = tokens[idx]
        # One line per top-level block keeps the page source readable; nothing inside.
        if html.endswith(">\n") and not (token.level == 0 and token.nesting <= 0):
            return html[:-1]
        return html

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
              env: EnvType) -> str:
        token = tokens[idx]
        language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        cls = f' class="language-{escape(language)}"' if language else ""
        return f"<pre><code{cls}>{_code(token.content)}</code></pre>\n"

    def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
        return f"<pre><code>{_code(tokens[idx].content)}</code></pre>\n"

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
              env: EnvType) -> str:
        alt = self.renderInlineAsText(tokens[idx].children, options, env)
        return f'<span class="md-image">{escape(alt)}</span>' if alt else ""

    def inert_link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                        env: EnvType) -> str:
        return '<span class="md-inert">'

    def inert_link_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                         env: EnvType) -> str:
        target = str(tokens[idx].meta.get("target", ""))
        shown = f' <span class="md-target">({escape(target)})</span>' if target else ""
        return f"{shown}</span>"


def _code(content: str) -> str:
    """A code block's text: escaped, without the newline CommonMark ends every block with
    (a copy button would otherwise copy it)."""
    return escape(content[:-1] if content.endswith("\n") else content, quote=False)
