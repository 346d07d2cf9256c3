"""The feeds' JSON API under /api: feeds, their sources and their items (see docs/api.md)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from aggregator.feeds import (
    StreamFilter,
    add_source,
    create_feed,
    find_source,
    get_feed_item,
    list_feeds,
    list_items,
    public_feed,
    public_source,
    remove_source,
    set_item_featured,
    set_item_status,
    set_source_state,
    sources_of,
)
from aggregator.insight import WindowError, window
from aggregator.items import item_from_dict, store_items
from web.errors import answer_domain_errors
from web.feeds.collecting import refresh_collector
from web.lookups import database, feed_or_404, int_arg, json_body, story_or_404
from web.security import curator_required, current_curator

api = answer_domain_errors(Blueprint("feeds_api", __name__, url_prefix="/api"))

MAX_PAGE = 500


@api.get("/feeds")
def feeds_index() -> Any:
    """Every feed with its item count and last seq; its sources' specs only to curators."""
    feeds = list_feeds(database())
    return jsonify(feeds if current_curator() else [public_feed(feed) for feed in feeds])


@api.post("/feeds")
@curator_required
def feeds_create() -> Any:
    """Create a feed: {name, query, sources: [SPEC, …]}."""
    data = json_body()
    feed = create_feed(
        database(), data.get("name"), data.get("query"), data.get("sources") or [], current_app.config
    )
    refresh_collector()
    return jsonify(feed), 201


@api.get("/feeds/<name>")
def feeds_show(name: str) -> Any:
    """One feed, with each source's health."""
    feed = feed_or_404(name)
    sources = sources_of(database(), feed["id"])
    if not current_curator():
        return jsonify({**feed, "sources": [public_source(source) for source in sources]})
    return jsonify({**feed, "sources": sources})


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes", "on")


def _stream_filter() -> StreamFilter:
    """The editor's filters: source (or network), media=1, replies=0|1, reposts=0|1, lang,
    unpinned=<story slug>; the insight's: author, hashtag, link, reason, since, until, media_type,
    pinned_in=<story slug>, deleted=0."""
    unpinned, pinned_in = request.args.get("unpinned"), request.args.get("pinned_in")
    args = request.args
    try:
        since, until = window(args.get("since"), args.get("until"))
    except WindowError as error:
        abort(400, str(error))
    return StreamFilter(
        source=args.get("source") or args.get("network") or None,
        has_media=_flag("media"),
        no_replies=args.get("replies") == "0",
        no_reposts=args.get("reposts") == "0",
        lang=args.get("lang") or None,
        not_pinned_in=story_or_404(unpinned)["id"] if unpinned else None,
        author=args.get("author") or None,
        hashtag=args.get("hashtag") or None,
        link=args.get("link") or None,
        reason=args.get("reason") or None,
        since=since,
        until=until,
        only_replies=args.get("replies") == "1",
        only_reposts=args.get("reposts") == "1",
        media_type=args.get("media_type") or None,
        pinned_in=story_or_404(pinned_in)["id"] if pinned_in else None,
        not_deleted=args.get("deleted") == "0",
    )


@api.post("/feeds/<name>/sources")
@curator_required
def sources_create(name: str) -> Any:
    """Add a source to a feed: {spec}; answers with the source and its health."""
    feed = feed_or_404(name)
    spec = json_body().get("spec")
    add_source(database(), feed, spec, current_app.config)
    refresh_collector()
    return jsonify(find_source(database(), feed, spec)), 201


@api.patch("/feeds/<name>/sources/<source_id>")
@curator_required
def sources_update(name: str, source_id: str) -> Any:
    """Pause or resume a source: {state: paused|running}."""
    feed = feed_or_404(name)
    source = set_source_state(database(), feed, source_id, json_body().get("state"))
    refresh_collector()
    return jsonify(source)


@api.delete("/feeds/<name>/sources/<source_id>")
@curator_required
def sources_delete(name: str, source_id: str) -> Any:
    """Remove a source; the items it collected stay in the feed."""
    remove_source(database(), feed_or_404(name), source_id)
    return "", 204


@api.get("/feeds/<name>/items")
def items_index(name: str) -> Any:
    """Items after a seq (or the page before `before`), in seq order, searched with `q` and filtered."""
    feed = feed_or_404(name)
    statuses = ("approved",)
    if current_curator() and request.args.get("status"):
        statuses = tuple(request.args["status"].split(","))
    items = list_items(
        database(),
        feed,
        after=int_arg("after", 0),
        limit=int_arg("limit", 100, MAX_PAGE) or 1,
        query=request.args.get("q"),
        statuses=statuses,
        with_raw=True,
        before=int_arg("before", 0) or None,
        filters=_stream_filter(),
    )
    return jsonify(items=items, last_seq=items[-1]["seq"] if items else feed["last_seq"])


@api.post("/feeds/<name>/items")
@curator_required
def items_create(name: str) -> Any:
    """Add an item from an integration; it goes through the collectors' pipeline."""
    feed = feed_or_404(name, counted=False)  # its row is all a write needs: no sources, no seq read
    body = json_body()
    item = item_from_dict({"source_id": secrets.token_hex(8), **body}, source="api")
    item.raw = body  # the payload exactly as received, without the generated source_id
    added = store_items(database(), feed, [item])
    if added:  # as get_feed_item reads it back: the stored raw is item.raw through JSON, unchanged
        return jsonify({**added[0], "raw": item.raw}), 201
    return jsonify(get_feed_item(database(), feed, item.id)), 200


@api.patch("/feeds/<name>/items/<item_id>")
@curator_required
def items_moderate(name: str, item_id: str) -> Any:
    """Moderate an item: {status: approved|pending|hidden} and/or feature it: {featured: true|false}."""
    feed = feed_or_404(name)
    body, actor = json_body(), current_curator()["name"]
    item = None
    if "featured" in body:
        item = set_item_featured(database(), feed, item_id, body["featured"], actor)
    if "status" in body or item is None:
        item = set_item_status(database(), feed, item_id, body.get("status"), actor)
    return jsonify(item)
