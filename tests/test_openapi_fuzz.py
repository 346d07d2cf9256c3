"""Schemathesis against the Flask app: generated requests (valid and invalid) to every documented
operation, as a curator with a token, must never make a 5xx, and every answer must be documented
and match docs/openapi.json. Bounded: a few examples per operation, no server process."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from aggregator.feeds import add_source, sources_of
from stories.elements import add_element
from tests.factories import cheap_passwords, feed, post, story
from tests.test_openapi_routes import spec

pytestmark = pytest.mark.usefixtures(cheap_passwords.__name__)

DOCUMENT = spec()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# The coverage phase (every boundary of every field: ~1,000 requests) is outside the time budget.
schema.config.phases.update(phases=["examples", "fuzzing"])
# Left out: positive_data_acceptance (whether valid data is accepted depends on state: a feed
# name or slug taken already, a field that does not apply to this element's type) and ignored_auth
# (tests/test_rights.py covers every route and role).


def not_a_server_error_but_oembeds_501(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, except the documented 501 oEmbed 1.0 requires for a format it does not serve."""
    if case.operation.path == "/oembed" and response.status_code == 501:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    not_a_server_error_but_oembeds_501,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]


def _example(path: str, name: str) -> str:
    operation = next(iter(DOCUMENT["paths"][path].values()))
    return next(p["example"] for p in operation["parameters"] if p["name"] == name)


# Every path parameter's documented example; the `world` fixture makes each of them real.
REAL = {
    "feed": _example("/api/feeds/{feed}", "feed"),
    "slug": _example("/api/stories/{slug}", "slug"),
    "item_id": _example("/api/feeds/{feed}/items/{item_id}", "item_id"),
    "element_id": _example("/api/stories/{slug}/elements/{element_id}", "element_id"),
    "source": _example("/api/feeds/{feed}/sources/{source}", "source"),
    "name": _example("/api/stories/{slug}/editors/{name}", "name"),
}


@pytest.fixture
def world(app: Any, db: Any, curators: Any) -> dict[str, str]:
    """The objects the spec's path examples name, so the examples phase reaches real ones."""
    kredcrew = feed(db, REAL["feed"])
    add_source(db, kredcrew, "mastodon:mastodon.social")
    assert str(sources_of(db, kredcrew["id"])[0]["id"]) == REAL["source"]
    assert post(db, kredcrew, "seed-03", source="x")["id"] == REAL["item_id"]
    for n in range(3):
        post(db, kredcrew, n)
    owner = curators.create("ada")
    curators.create(REAL["name"])
    summit = story(db, owner, "Kredcrew summit")
    assert summit["slug"] == REAL["slug"]
    element = add_element(db, summit, {"type": "text", "text": "Hello"})
    with db.write() as tx:  # the element the spec's example names
        tx.execute(
            "UPDATE elements SET id = ? WHERE id = ?",
            [REAL["element_id"], element["id"]],
        )
    return curators.token("ada")


BOUNDED = hypothesis.settings(  # max_examples from the profile (tests/conftest.py): 5, 2 in `make check`
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)


@schema.parametrize()
@BOUNDED
def test_any_request_gets_a_documented_answer_and_never_a_5xx(case: Any, app: Any, world: Any) -> None:
    """Generated paths, queries and bodies: mostly unknown feeds and stories, and bad input."""
    case.call_and_validate(headers=world, app=app, checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_requests_on_real_objects_get_documented_answers(case: Any, app: Any, world: Any) -> None:
    """The same, with the path naming the fixture's feed, item, story, element, source and curator,
    so that generated queries and bodies reach the reads and the writes themselves."""
    case.path_parameters = {name: REAL[name] for name in case.path_parameters or {}}
    case.call_and_validate(headers=world, app=app, checks=CHECKS)
