"""Live insight stays cheap: the viewers who ask after the same change share one computation
of the numbers, and the next change is in the next answer."""

from __future__ import annotations

from typing import Any

from tests.factories import feed, post


def _bucket_reads(db: Any, run: Any) -> int:
    """How many statements reading the insight buckets `run` sends to the database's reader."""
    seen: list[str] = []
    db._reader.set_trace_callback(seen.append)
    try:
        run()
    finally:
        db._reader.set_trace_callback(None)
    return sum("insight_buckets" in statement for statement in seen)


def test_viewers_after_the_same_post_share_one_computation(app, client, curators, db):
    demo = feed(db)
    post(db, demo, 1, text="First #live", created_at="2012-05-29T18:00:10Z")
    viewers = [curators.token(name) for name in ("ada", "bob", "cy")]

    def ask(headers: dict[str, str]) -> dict[str, Any]:
        response = client.get("/api/feeds/demo/insight", headers=headers)
        assert response.status_code == 200
        return response.json

    assert _bucket_reads(db, lambda: ask(viewers[0])) > 0
    assert _bucket_reads(db, lambda: [ask(headers) for headers in viewers]) == 0
    curators.login(client)
    assert _bucket_reads(db, lambda: client.get("/feeds/demo/insight")) == 0  # the page: the same answer

    added = client.post(
        "/api/feeds/demo/items",
        json={"text": "Second #live", "author": {"name": "Bob"}, "created_at": "2012-05-29T18:00:20Z"},
        headers=viewers[1],
    )
    assert added.status_code == 201
    fresh: list[dict[str, Any]] = []
    assert _bucket_reads(db, lambda: fresh.append(ask(viewers[2]))) > 0
    assert fresh[0]["total"]["count"] == 2 and fresh[0]["hashtags"][0]["count"] == 2
    assert _bucket_reads(db, lambda: [ask(headers) for headers in viewers]) == 0
