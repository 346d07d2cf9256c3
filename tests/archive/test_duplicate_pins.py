"""An archive that pins a post twice: the import keeps its first pin and says how many it dropped.

The editor refuses a second pin of a post (409, stories.pins); an import must not make one.
"""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from bench.synthetic import synthetic_archive
from tests.factories import cheap_passwords

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

NOTE = "Dropped 2 duplicate pins of a post already pinned in the story"


def twice_pinned(slug: str) -> tuple[dict[str, Any], list[str]]:
    """An archive whose first post is pinned again, and again as another archive item of the same post."""
    archive = synthetic_archive(12, slug=slug)
    pins = [element for element in archive["elements"] if element["type"] == "item"]
    first = pins[0]["item"]
    same_post = {**copy.deepcopy(archive["items"][0]), "id": "the-same-post-again"}
    archive["items"].append(same_post)
    archive["elements"] += [
        {"type": "item", "item": first, "annotation": "pinned again"},
        {"type": "item", "item": same_post["id"], "annotation": "the same post, another archive id"},
    ]
    return archive, [pin["annotation"] for pin in pins]


def pinned_posts(client: Any, slug: str) -> list[tuple[str, str]]:
    """(post id, annotation) of each pin, as the API gives the story."""
    elements = client.get(f"/api/stories/{slug}").get_json()["elements"]
    return [(e["item"]["id"], e["annotation"]) for e in elements if e["type"] == "item"]


def test_the_command_keeps_the_first_pin_of_a_post_and_says_how_many_it_dropped(
    runner: Any, client: Any, write_json: Any
) -> None:
    archive, annotations = twice_pinned("twice")
    result = runner.invoke(args=["import", str(write_json("twice.json", archive)), "--format", "tagstory"])
    assert result.exit_code == 0, result.output
    pins = pinned_posts(client, "twice")
    assert len({post for post, _ in pins}) == len(pins), "each post pinned once"
    assert [annotation for _, annotation in pins] == annotations  # the first pins, in their places
    assert NOTE in result.output
    assert f"with {len(archive['elements']) - 2} elements" in result.output


def test_the_upload_form_says_so_too(client: Any, curators: Any) -> None:
    archive, annotations = twice_pinned("twice-uploaded")
    csrf = curators.login(client)
    data = {
        "csrf_token": csrf,
        "format": "tagstory",
        "file": (io.BytesIO(json.dumps(archive).encode()), "twice.json"),
    }
    response = client.post("/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert NOTE in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [annotation for _, annotation in pinned_posts(client, "twice-uploaded")] == annotations
