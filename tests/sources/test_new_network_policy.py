"""The Threads, YouTube and Instagram sources fetch through the address policy like every other source."""

from __future__ import annotations

import pytest

from aggregator.feeds import create_feed
from tests.sources.conftest import source_row, wait_for
from tests.sources.servers.threads import thread


@pytest.mark.parametrize("network", ["threads", "youtube", "instagram"])
def test_an_api_url_on_a_private_address_is_refused_unless_allowed(
    db, collecting, threads_api, youtube_api, instagram_api, network
):
    settings = {
        "threads": {"THREADS_API_URL": threads_api.url + "/v1.0", "THREADS_ACCESS_TOKEN": threads_api.token},
        "youtube": {"YOUTUBE_API_URL": youtube_api.url + "/youtube/v3", "YOUTUBE_API_KEY": youtube_api.key},
        "instagram": {
            "INSTAGRAM_API_URL": instagram_api.url + "/v21.0",
            "INSTAGRAM_USER_ID": instagram_api.user,
            "INSTAGRAM_ACCESS_TOKEN": instagram_api.token,
        },
    }[network]
    threads_api.posts = [thread(0)]
    spec = f"youtube:{youtube_api.video}" if network == "youtube" else network
    create_feed(db, "kc", "#kredcrew", [spec])
    with collecting(FETCH_ALLOW_PRIVATE=False, **settings):
        row = wait_for(lambda: "address policy" in ((r := source_row(db, "kc"))["last_error"] or "") and r)
    assert "FETCH_ALLOW_PRIVATE" in row["last_error"]
    assert not (threads_api.requests or youtube_api.requests or instagram_api.requests)
