"""A small, safe Markdown-to-HTML renderer for runbook sections.

Runbook sections are shown inside the HTML report, which must stay self-contained and must
never run or fetch anything a runbook (possibly an organisation's own, possibly edited by
many people) contains. So instead of a general Markdown library (whose raw-HTML
passthrough would have to be switched off and its output sanitised) this renders the
subset runbooks use, and by construction emits only tags it writes itself:

- ATX headings, paragraphs, bullet and ordered lists (nested by indentation), fenced
  code blocks (``` and ~~~), block quotes, thematic breaks, pipe tables;
- inline code, links, **strong**, *emphasis*.

Every piece of text is HTML-escaped; raw HTML in the Markdown is shown as text. A link
is kept only when its target is http(s) or relative (no scheme, not protocol-relative,
no whitespace or control characters a browser would strip); anything else (javascript:,
data:, file:) becomes plain text. Images become their alt text: a report makes no network
requests. Headings get no ids, so runbook text cannot collide with the page's own ids.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urljoin

__all__ = ["render_markdown", "safe_href"]

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)[^`]*$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_HR = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"'`]")

# Inline tokens, found in the raw text before anything is escaped.
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<codetext>.+?)(?P=ticks))"
    r"|(?P<autolink><(?P<autourl>https?://[^\s<>]+)>)"
    r"|(?P<image>!\[(?P<alt>[^\]]*)\]\((?P<imgsrc>(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"]*\")?\))"
    r"|(?P<link>\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<href><[^>]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"(?P<title>[^\"]*)\")?\))",
    re.DOTALL,
)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*/\\])\*(?![\s*/])(.+?)(?<![\s*/])\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?![\s_])(.+?)(?<![\s_])_(?![\w_])")


def safe_href(url: str, base: str | None = None) -> str | None:
    """The link target to emit, or None when it must not be a link.

    Allowed: http(s) URLs and relative references. A relative reference is resolved
    against ``base`` when ``base`` is itself http(s).
    """
    url = url.strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].strip()
    if not url or _UNSAFE_URL_CHARS.search(url):
        return None
    match = _SCHEME.match(url)
    if match:
        return url if match.group(1).lower() in ("http", "https") else None
    if url.startswith("//"):
        return None  # protocol-relative: another host, and file:// when opened locally
    if base and (safe_href(base) or "").lower().startswith(("http://", "https://")):
        joined = urljoin(base, url)
        return joined if safe_href(joined) == joined else None
    return url


def render_markdown(text: str, *, heading_shift: int = 0, base_url: str | None = None) -> str:
    """HTML for ``text``. Headings move down ``heading_shift`` levels (capped at h6)."""
    renderer = _Renderer(heading_shift, base_url)
    return renderer.blocks(text.expandtabs(4).splitlines())


class _Renderer:
    def __init__(self, heading_shift: int, base_url: str | None):
        self.heading_shift = heading_shift
        self.base_url = base_url

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, lines: list[str], tight: bool = False) -> str:
        out: list[str] = []
        i = 0
        n = len(lines)
        while i < n:
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            fence = _FENCE.match(line)
            if fence:
                i = self._code(lines, i, fence, out)
                continue
            heading = _HEADING.match(line)
            if heading:
                level = min(6, len(heading.group(1)) + self.heading_shift)
                out.append(f"<h{level}>{self.inline(heading.group(2) or '')}</h{level}>")
                i += 1
                continue
            if _HR.match(line):
                out.append("<hr>")
                i += 1
                continue
            if _QUOTE.match(line):
                quoted = []
                while i < n and lines[i].strip() and (m := _QUOTE.match(lines[i])):
                    quoted.append(m.group(1))
                    i += 1
                out.append(f"<blockquote>{self.blocks(quoted)}</blockquote>")
                continue
            item = _ITEM.match(line)
            if item:
                i = self._list(lines, i, out)
                continue
            if "|" in line and i + 1 < n and _TABLE_RULE.match(lines[i + 1]) and "-" in lines[i + 1]:
                i = self._table(lines, i, out)
                continue
            para = [line.strip()]
            i += 1
            while i < n and lines[i].strip() and not self._interrupts(lines[i]):
                para.append(lines[i].strip())
                i += 1
            body = self.inline("\n".join(para))
            out.append(body if tight else f"<p>{body}</p>")
        return "\n".join(out)

    @staticmethod
    def _interrupts(line: str) -> bool:
        if _FENCE.match(line) or _HEADING.match(line) or _HR.match(line) or _QUOTE.match(line):
            return True
        item = _ITEM.match(line)
        # A bullet interrupts a paragraph; an ordered item only when it starts at 1.
        return bool(item and item.group(4).strip() and
                    (item.group(2) in "-*+" or item.group(2)[:-1] == "1"))

    def _code(self, lines: list[str], i: int, fence: re.Match[str], out: list[str]) -> int:
        indent, marker, lang = len(fence.group(1)), fence.group(2), fence.group(3)
        body: list[str] = []
        i += 1
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if stripped.startswith(marker[0] * len(marker)) and set(stripped) == {marker[0]}:
                i += 1
                break
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            i += 1
        cls = f' class="language-{escape(lang)}"' if re.fullmatch(r"[\w+\-.#]+", lang or "") else ""
        out.append(f"<pre><code{cls}>{escape(chr(10).join(body), quote=False)}</code></pre>")
        return i

    def _list(self, lines: list[str], i: int, out: list[str]) -> int:
        first = _ITEM.match(lines[i])
        assert first is not None
        base_indent = len(first.group(1))
        ordered = first.group(2)[-1] in ".)"
        start = int(first.group(2)[:-1]) if ordered else 1
        items: list[list[str]] = []
        loose = False
        n = len(lines)
        while i < n:
            m = _ITEM.match(lines[i])
            if not m or len(m.group(1)) > base_indent + 3 or (m.group(2)[-1] in ".)") != ordered:
                break
            content_indent = len(m.group(1)) + len(m.group(2)) + max(1, min(len(m.group(3)), 4))
            body = [m.group(4)]
            i += 1
            in_fence = False
            while i < n:
                line = lines[i]
                indent = len(line) - len(line.lstrip(" "))
                if in_fence:
                    body.append(line[min(indent, content_indent):])
                    if _FENCE.match(line.strip()) and not line.strip()[3:].strip("`~").strip():
                        in_fence = False
                    i += 1
                    continue
                if not line.strip():
                    # A blank line continues the item only if indented content follows.
                    j = i
                    while j < n and not lines[j].strip():
                        j += 1
                    if j < n and len(lines[j]) - len(lines[j].lstrip(" ")) >= content_indent:
                        body.extend([""] * (j - i))
                        loose = True
                        i = j
                        continue
                    break
                if indent >= content_indent:
                    if _FENCE.match(line[content_indent:]):
                        in_fence = True
                    body.append(line[content_indent:])
                    i += 1
                    continue
                if _ITEM.match(line) or self._interrupts(line):
                    break
                body.append(line.strip())  # lazy continuation of the item's paragraph
                i += 1
            items.append(body)
            # Blank lines between items make the list loose.
            if i < n and not lines[i].strip():
                j = i
                while j < n and not lines[j].strip():
                    j += 1
                nxt = _ITEM.match(lines[j]) if j < n else None
                if nxt and len(nxt.group(1)) <= base_indent + 3 and (nxt.group(2)[-1] in ".)") == ordered:
                    loose = True
                    i = j
                    continue
                break
        tag = "ol" if ordered else "ul"
        attrs = f' start="{start}"' if ordered and start != 1 else ""
        rendered = "".join(f"<li>{self.blocks(body, tight=not loose)}</li>" for body in items)
        out.append(f"<{tag}{attrs}>{rendered}</{tag}>")
        return i

    def _table(self, lines: list[str], i: int, out: list[str]) -> int:
        header = _cells(lines[i])
        aligns = []
        for cell in _cells(lines[i + 1]):
            left, right = cell.startswith(":"), cell.endswith(":")
            aligns.append("center" if left and right else "right" if right else "left" if left else "")
        i += 2
        rows = []
        while i < len(lines) and lines[i].strip() and "|" in lines[i]:
            rows.append(_cells(lines[i]))
            i += 1

        def cell(tag: str, text: str, col: int) -> str:
            align = aligns[col] if col < len(aligns) else ""
            cls = f' class="align-{align}"' if align else ""
            return f"<{tag}{cls}>{self.inline(text)}</{tag}>"

        head = "".join(cell("th", text, c) for c, text in enumerate(header))
        body = "".join(
            "<tr>" + "".join(cell("td", row[c] if c < len(row) else "", c)
                             for c in range(len(header))) + "</tr>"
            for row in rows
        )
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return i

    # -- inlines --------------------------------------------------------------------------

    def inline(self, text: str, links: bool = True) -> str:
        out: list[str] = []
        pos = 0
        for m in _INLINE.finditer(text):
            out.append(_emphasis(text[pos:m.start()]))
            pos = m.end()
            if m.group("code"):
                code = m.group("codetext")
                if code.strip():
                    code = code[1:-1] if code.startswith(" ") and code.endswith(" ") else code
                out.append(f"<code>{escape(code.replace(chr(10), ' '), quote=False)}</code>")
            elif m.group("autolink"):
                url = m.group("autourl")
                href = safe_href(url)
                out.append(f'<a href="{escape(href)}">{escape(url)}</a>' if href and links
                           else escape(url))
            elif m.group("image"):
                alt = m.group("alt")
                out.append(f'<span class="md-image">{escape(alt)}</span>' if alt else "")
            else:
                label = self.inline(m.group("text"), links=False)
                href = safe_href(m.group("href"), self.base_url) if links else None
                if href is None:
                    out.append(label)
                else:
                    title = m.group("title")
                    title_attr = f' title="{escape(title)}"' if title else ""
                    out.append(f'<a href="{escape(href)}"{title_attr}>{label}</a>')
        out.append(_emphasis(text[pos:]))
        return "".join(out)


def _emphasis(text: str) -> str:
    """Escaped text with **strong** and *emphasis*; the escaped text holds no markup, so
    inserting our own tags around parts of it cannot open anything else."""
    html = escape(text, quote=False)
    html = _STRONG.sub(r"<strong>\2</strong>", html)
    html = _EM_STAR.sub(r"<em>\1</em>", html)
    return _EM_UNDERSCORE.sub(r"<em>\1</em>", html)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [c.strip().replace("\\|", "|") for c in cells]
