"""A story as Markdown, for blogs and wikis: text blocks, quoted posts, links back to the originals."""

from __future__ import annotations

import re
from typing import Any

from aggregator import sanitize
from stories.export import format_when
from stories.pins import REMOVED_TEXTS

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # anywhere: emphasis, code, links, HTML, tables
_LINE_START = re.compile(r"^(\s*)([#+=-])", re.MULTILINE)  # headings, lists, rules
_NUMBERED = re.compile(r"^(\s*\d+)\.", re.MULTILINE)  # "1." would start a numbered list


def escape(text: str) -> str:
    """Plain text that Markdown shows as written (no HTML, no accidental formatting)."""
    text = _SPECIAL.sub(r"\\\1", text or "")
    return _NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\1\\\2", text))


def _link(label: str, url: str | None) -> str:
    safe = sanitize.clean_url(url)
    if not safe:
        return escape(label)
    return f"[{escape(label)}](<{safe.replace('<', '%3C').replace('>', '%3E')}>)"


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.splitlines() or [""]]


def _item(item: dict[str, Any], annotation: str) -> list[str]:
    author = item["author"]
    who = f"**{escape(author['name'])}**"
    if author.get("handle"):
        who += " " + _link(f"@{author['handle']}", author.get("url"))
    when = _link(format_when(item.get("created_at")) or "original", item.get("url"))
    lines = [*_quote(f"{who} · {when} · {escape(item['source'])}"), ">"]
    lines += _quote(escape(item.get("text") or ""))
    for media in item.get("media") or []:
        url = sanitize.clean_url(media.get("url"))
        if url:
            lines += [">", f"> ![{escape(media.get('alt') or media.get('type') or 'image')}](<{url}>)"]
    if annotation:
        lines += ["", f"*{escape(annotation)}*"]
    return lines


def render_markdown(archive: dict[str, Any]) -> str:
    """The archive's story as Markdown."""
    story = archive["story"]
    items = {item["id"]: item for item in archive["items"]}
    out = [f"# {escape(story['title'])}", ""]
    if story.get("description"):
        out += [escape(story["description"]), ""]
    out += [
        f"*Storified by {escape(story.get('byline') or '')} · {format_when(story.get('created_at'), True)}*",
        "",
    ]
    for element in archive["elements"]:
        out.append("---" if element["type"] == "item" else "")
        if element["type"] == "text":
            text = sanitize.html_to_text(element["text"])
            out.append(f"## {escape(text)}" if element.get("style") == "heading" else escape(text))
        elif element["type"] == "link":
            out.append(_link(element.get("title") or element["url"], element["url"]))
            if element.get("text"):
                out += ["", escape(element["text"])]
        elif element.get("removed"):
            out.append(f"*{escape(REMOVED_TEXTS.get(element['removed'], 'This post is not shown.'))}*")
            if element.get("annotation"):
                out += ["", f"*{escape(sanitize.html_to_text(element['annotation']))}*"]
        elif element["item"] in items:
            out += _item(items[element["item"]], sanitize.html_to_text(element.get("annotation") or ""))
        out.append("")
    out.append(f"*Exported from Tagstory on {format_when(archive['exported_at'])}.*")
    return "\n".join(out) + "\n"
