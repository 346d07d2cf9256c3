"""The one sanitizer: every piece of third-party or curator HTML passes through here.

bleach is imported in this module only, so it can be swapped for another
sanitizer without touching the rest of the code. Unlike plain `bleach.clean`,
the contents of <script>, <style> and similar elements are dropped, not kept as text.
"""

from __future__ import annotations

import html
import re
import threading
import urllib.parse
from collections.abc import Iterable
from typing import Any

import bleach
from bleach import html5lib_shim

# What a post or a curator's text may contain: text-level formatting, links, lists, quotes.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "br",
        "p",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "span",
        "h3",
        "h4",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel", "class"], "span": ["class"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Elements whose whole content is removed, not only their tags.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "textarea",
        "select",
        "title",
        "xmp",
        "noembed",
        "noframes",
    }
)


class _Cleaner(bleach.Cleaner):
    """A bleach Cleaner that removes dropped elements with everything inside them."""

    def __init__(self) -> None:
        super().__init__(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
        )
        # Parse dropped elements as elements (not flattened into text), then cut them out.
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=ALLOWED_TAGS | DROPPED_WITH_CONTENT,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        walk = self.walker
        self.walker = lambda dom: walk(_without_dropped(dom))


def _without_dropped(dom: Any) -> Any:
    for parent in list(dom.iter()):
        for child in list(parent):
            # Foreign elements (svg, math) carry a namespace: "{http://www.w3.org/2000/svg}svg".
            if isinstance(child.tag, str) and child.tag.rpartition("}")[2].lower() in DROPPED_WITH_CONTENT:
                # Keep the text that follows the dropped element.
                index = list(parent).index(child)
                if child.tail:
                    if index == 0:
                        parent.text = (parent.text or "") + child.tail
                    else:
                        previous = parent[index - 1]
                        previous.tail = (previous.tail or "") + child.tail
                parent.remove(child)
    return dom


_local = threading.local()


def _cleaner() -> _Cleaner:
    """This thread's Cleaner: it holds parser state, so threads never share one; building one is slow."""
    if not hasattr(_local, "cleaner"):
        _local.cleaner = _Cleaner()
    return _local.cleaner


def clean_html(dirty: str, linkify: bool = True) -> str:
    """Sanitize untrusted HTML to the allow-list; links open safely in a new context.

    `linkify=False` keeps bare URLs as text (for HTML that was linked when first stored).
    """
    if not dirty:
        return ""
    cleaned = _cleaner().clean(dirty)
    if not linkify:
        return cleaned
    return bleach.linkify(cleaned, callbacks=[_safe_link], skip_tags={"pre", "code"})


def _safe_link(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = "nofollow noopener noreferrer ugc"
    return attrs


def clean_url(url: Any) -> str | None:
    """Return `url` if it is an absolute http(s) URL, else None (no javascript:, data:, …)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if re.match(r"^https?://[^\s/$.?#][^\s]*$", url, re.IGNORECASE) and not re.search(
        r"[\x00-\x1f\"'<>`]", url
    ):
        return url
    return None


Span = tuple[int, int, str]  # start, end (character offsets), href

_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@/])@(\w{1,30})(?![\w.@]*\w)")
_HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d_]\w*)", re.UNICODE)

# Where each network shows a person (`@name`) and a hashtag (`#tag`): the links of a post's
# mentions and hashtags when its source gave none (a replayed or imported post, a network
# that sends no entities). A network that is not listed, or a `None`, leaves them unlinked.
NETWORK_PAGES: dict[str, tuple[str | None, str | None]] = {
    "x": ("https://x.com/{}", "https://x.com/hashtag/{}"),
    "bluesky": (None, "https://bsky.app/hashtag/{}"),  # handles have dots: facets link them
    "threads": ("https://www.threads.net/@{}", "https://www.threads.net/search?q=%23{}&serp_type=tags"),
    "instagram": ("https://www.instagram.com/{}/", "https://www.instagram.com/explore/tags/{}/"),
    "youtube": ("https://www.youtube.com/@{}", "https://www.youtube.com/hashtag/{}"),
}
_ANCHOR = '<a href="{}" rel="nofollow noopener noreferrer ugc"{}>{}</a>'


def _word_spans(text: str, taken: list[Span], network: str | None) -> list[tuple[int, int, str, str]]:
    """Mentions and hashtags outside the source's own spans: (start, end, href or "", class)."""
    mention_page, tag_page = NETWORK_PAGES.get(network or "", (None, None))
    found = [(m, mention_page, "mention") for m in _MENTION.finditer(text)]
    found += [(m, tag_page, "hashtag") for m in _HASHTAG.finditer(text)]
    spans = []
    for match, page, kind in found:
        start, end = match.span()
        if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
            continue  # the source linked it (or a URL holds it)
        href = page.format(urllib.parse.quote(match.group(1))) if page else ""
        if href or kind == "hashtag":
            spans.append((start, end, href, kind))
    return spans


def text_to_html(text: str, links: Iterable[Span] | None = None, network: str | None = None) -> str:
    """Escape a plain-text post and turn its links, mentions and hashtags into anchors.

    `links` are the source's own entities/facets (character offsets); without them, URLs
    are found in the text. Mentions and hashtags the source did not link link to the
    `network`'s pages (`NETWORK_PAGES`); a hashtag with no page is set off as
    `<span class="hashtag">`, so every page shows hashtags alike.
    """
    spans: list[Span] = list(links) if links is not None else []
    if links is None:
        spans += [(m.start(), m.end(), m.group(0)) for m in _URL.finditer(text)]
    marked = [(start, end, href, "") for start, end, href in spans]
    marked += _word_spans(text, [s for s in spans if clean_url(s[2])], network)
    out: list[str] = []
    position = 0
    for start, end, href, kind in sorted(marked):
        safe = clean_url(href)
        if start < position or end > len(text) or not (safe or kind == "hashtag"):
            continue  # overlapping, unsafe or out-of-range spans stay plain text
        out.append(html.escape(text[position:start]))
        words = html.escape(text[start:end])
        if safe:
            out.append(_ANCHOR.format(html.escape(safe), f' class="{kind}"' if kind else "", words))
        else:
            out.append(f'<span class="hashtag">{words}</span>')
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\n", "<br>")


def html_to_text(fragment: str) -> str:
    """The plain text of an HTML fragment (for search and previews)."""
    with_breaks = re.sub(r"<br\s*/?>|</p>", "\n", fragment or "", flags=re.IGNORECASE)
    stripped = bleach.clean(clean_html(with_breaks, linkify=False), tags=set(), strip=True)
    return html.unescape(stripped).strip()


def clean_markup(text: str) -> str:
    """A text that may hold simple HTML, as written when the sanitizer keeps all of it, else sanitized.

    Text and entities count alike (`1 < 2` and `1 &lt; 2` are the same text), so a harmless
    text keeps its exact spelling; one with markup the allow-list refuses is stored cleaned.
    """
    cleaned = clean_html(text, linkify=False)
    return text if html.unescape(cleaned) == html.unescape(text) else cleaned
