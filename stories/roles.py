"""Story roles: the owner invites other curators as editors, and removes them."""

from __future__ import annotations

from typing import Any

from aggregator import eventlog
from aggregator.db import Database
from aggregator.errors import NotFound
from stories.curators import get_curator
from stories.model import StoryError, get_header


class NotOwner(PermissionError):
    """Only a story's owner may change who edits it."""


def _check_owner(story: dict[str, Any], actor: dict[str, Any] | None) -> None:
    if actor is None or story["owner"] != actor["name"]:
        raise NotOwner(f"only the owner of '{story['slug']}' can change its curators")


def _announce(db: Database, tx: Any, story: dict[str, Any], curators: list[str], actor: str) -> None:
    eventlog.story_event(db, tx, story["slug"], "meta", None, actor, meta={"curators": curators})


def _curators_after(db: Database, tx: Any, story: dict[str, Any]) -> list[str]:
    rows = tx.execute(
        "SELECT c.name FROM story_editors e JOIN curators c ON c.id = e.curator_id"
        " WHERE e.story_id = ? ORDER BY c.name",
        [story["id"]],
    ).fetchall()
    return ([story["owner"]] if story["owner"] else []) + [row[0] for row in rows]


def add_editor(
    db: Database, story: dict[str, Any], name: Any, actor: dict[str, Any] | None
) -> dict[str, Any]:
    """Invite curator `name` to edit `story`; the story's viewers get a `meta` event."""
    _check_owner(story, actor)
    if not isinstance(name, str) or not name:
        raise StoryError("'name' must be a curator's name")
    editor = get_curator(db, name)
    if editor is None:
        raise NotFound(f"no curator named '{name}'")
    if name == story["owner"]:
        raise StoryError(f"'{name}' owns this story already")
    with db.write() as tx:
        tx.execute(
            "INSERT INTO story_editors (story_id, curator_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [story["id"], editor["id"]],
        )
        _announce(db, tx, story, _curators_after(db, tx, story), actor["name"])
    return get_header(db, story["slug"])


def remove_editor(
    db: Database, story: dict[str, Any], name: str, actor: dict[str, Any] | None
) -> dict[str, Any]:
    """Take curator `name` off `story`'s editors; raise NotFound if they were not one."""
    _check_owner(story, actor)
    editor = get_curator(db, name)
    if editor is None or name not in story["curators"] or name == story["owner"]:
        raise NotFound(f"'{name}' is not an editor of '{story['slug']}'")
    with db.write() as tx:
        tx.execute(
            "DELETE FROM story_editors WHERE story_id = ? AND curator_id = ?", [story["id"], editor["id"]]
        )
        _announce(db, tx, story, _curators_after(db, tx, story), actor["name"])
    return get_header(db, story["slug"])
