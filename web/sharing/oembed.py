"""oEmbed 1.0 (https://oembed.com): a CMS given a story's or a feed's URL gets its embed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.lookups import feed_or_404, int_arg, public_story_or_404
from web.sharing.snippets import FIXED_HEIGHT, iframe_snippet
from web.sharing.thumbnails import cover_size

api = Blueprint("sharing_oembed", __name__)

DEFAULT_WIDTH = 600
DEFAULT_PORTS = (None, 80, 443)
# The pages whose URL can be embedded, by endpoint: (kind, name of the view argument).
EMBEDDABLE = {
    "stories.story": ("story", "slug"),
    "sharing_embeds.story_embed": ("story", "slug"),
    "feeds.feed": ("feed", "name"),
    "sharing_embeds.feed_embed": ("feed", "name"),
}


def _page_of(url: str) -> tuple[str, str]:
    """(kind, name) of the story or feed page `url` names on this site; 400 if malformed, else 404."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        abort(400, "'url' is not a URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        abort(400, "'url' must be an absolute http(s) URL")
    here = urlsplit(f"//{request.host}")
    # Compared without default ports, and either scheme: behind a TLS proxy the request is http.
    if (parts.hostname, port if port not in DEFAULT_PORTS else None) != (
        here.hostname,
        here.port if here.port not in DEFAULT_PORTS else None,
    ):
        abort(404, "'url' is not a page of this site")
    try:
        endpoint, arguments = current_app.url_map.bind(request.host).match(parts.path, method="GET")
    except HTTPException:
        abort(404, "'url' is not a story or feed page of this site")
    if endpoint not in EMBEDDABLE:
        abort(404, "'url' is not a story or feed page of this site")
    kind, argument = EMBEDDABLE[endpoint]
    return kind, arguments[argument]


@api.get("/oembed")
def oembed() -> Response:
    """The oEmbed answer (type rich) for a story or feed URL of this site; format=json only."""
    if request.args.get("format", "json") != "json":
        abort(501, "only format=json is served")
    url = request.args.get("url")
    if not url:
        abort(400, "'url' is required")
    width = min(DEFAULT_WIDTH, int_arg("maxwidth", DEFAULT_WIDTH) or DEFAULT_WIDTH)
    height = min(FIXED_HEIGHT, int_arg("maxheight", FIXED_HEIGHT) or FIXED_HEIGHT)
    kind, name = _page_of(url)
    answer: dict[str, Any] = {"version": "1.0", "type": "rich", "provider_name": "Tagstory"}
    if kind == "story":
        story = public_story_or_404(name)
        title = story["title"]
        answer["author_name"] = story["byline"] or story["owner"] or "Tagstory"
        size = cover_size(story["cover"], current_app.config) if story["cover"] else None
        if size:  # oEmbed: a thumbnail's URL, width and height come together, or not at all
            answer.update(thumbnail_url=story["cover"], thumbnail_width=size[0], thumbnail_height=size[1])
    else:
        title = feed_or_404(name)["name"]
        answer["author_name"] = "Tagstory"
    answer.update(
        title=title,
        provider_url=request.host_url,
        width=width,
        height=height,
        html=str(iframe_snippet(kind, name, title, width, height)),
        cache_age=300,
    )
    return jsonify(answer)
