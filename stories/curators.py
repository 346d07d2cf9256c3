"""Curators: the accounts that may change stories and feeds, with passwords and API tokens."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from aggregator import clock
from aggregator.db import Database

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class CuratorError(ValueError):
    """A curator account request that cannot be honoured; the message says why."""


def _public(row: Any) -> dict[str, Any] | None:
    return {"id": row["id"], "name": row["name"]} if row else None


def create_curator(db: Database, name: str, password: str | None) -> dict[str, Any]:
    """Create a curator; a curator without a password can only use tokens."""
    if not NAME.match(name or ""):
        raise CuratorError("a curator name is 1-64 letters, digits, '.', '_' or '-'")
    if password is not None and len(password) < 8:
        raise CuratorError("a password needs at least 8 characters")
    with db.write() as tx:
        if tx.execute("SELECT 1 FROM curators WHERE name = ?", [name]).fetchone():
            raise CuratorError(f"a curator named '{name}' exists already")
        tx.execute(
            "INSERT INTO curators (name, password_hash, created_at) VALUES (?, ?, ?)",
            [name, generate_password_hash(password) if password else None, clock.now()],
        )
    return get_curator(db, name)


def get_curator(db: Database, name: str) -> dict[str, Any] | None:
    """A curator by name, or None."""
    return _public(db.query_one("SELECT id, name FROM curators WHERE name = ?", [name]))


@functools.cache
def _dummy_hash() -> str:
    """A hash made like real ones, checked for unknown names: made once, not per attempt."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(db: Database, name: str, password: str) -> dict[str, Any] | None:
    """The curator whose name and password match, or None.

    Exactly one password check runs whatever the name, so names cannot be probed by timing.
    """
    row = db.query_one("SELECT id, name, password_hash FROM curators WHERE name = ?", [name])
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    matches = check_password_hash(stored or _dummy_hash(), password or "")
    return _public(row) if stored and matches else None


def session_generation(db: Database, name: str) -> int | None:
    """The curator's current session generation, written into the sessions it starts; or None."""
    row = db.query_one("SELECT session_generation FROM curators WHERE name = ?", [name])
    return row["session_generation"] if row else None


def curator_for_session(db: Database, name: str, generation: Any) -> dict[str, Any] | None:
    """The curator a session names, if the session belongs to its current generation; or None."""
    if not isinstance(generation, int):
        return None
    row = db.query_one(
        "SELECT id, name FROM curators WHERE name = ? AND session_generation = ?", [name, generation]
    )
    return _public(row)


def end_sessions(db: Database, name: str) -> None:
    """Void every session of the curator `name` (logout): copies of its cookies stop working."""
    with db.write() as tx:
        tx.execute("UPDATE curators SET session_generation = session_generation + 1 WHERE name = ?", [name])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, name: str) -> str:
    """Create an API token for a curator and return it (only its hash is stored)."""
    curator = get_curator(db, name)
    if curator is None:
        raise CuratorError(f"no curator named '{name}'")
    token = secrets.token_urlsafe(32)
    with db.write() as tx:
        tx.execute(
            "INSERT INTO tokens (curator_id, token_hash, created_at) VALUES (?, ?, ?)",
            [curator["id"], _digest(token), clock.now()],
        )
    return token


def list_tokens(db: Database, name: str) -> list[dict[str, Any]]:
    """The curator's API tokens, oldest first: id and creation time (the tokens themselves are not kept)."""
    if get_curator(db, name) is None:
        raise CuratorError(f"no curator named '{name}'")
    rows = db.query(
        "SELECT t.id, t.created_at FROM tokens t JOIN curators c ON c.id = t.curator_id"
        " WHERE c.name = ? ORDER BY t.id",
        [name],
    )
    return [{"id": r["id"], "created_at": r["created_at"]} for r in rows]


def revoke_token(db: Database, name: str, token_id: int) -> None:
    """Delete API token `token_id` of the curator `name`; requests sending it get a 401 from now on."""
    if get_curator(db, name) is None:
        raise CuratorError(f"no curator named '{name}'")
    with db.write() as tx:
        deleted = tx.execute(
            "DELETE FROM tokens WHERE id = ? AND curator_id = (SELECT id FROM curators WHERE name = ?)",
            [token_id, name],
        ).rowcount
    if not deleted:
        raise CuratorError(f"curator '{name}' has no token {token_id} (see: tokens {name})")


def curator_for_token(db: Database, token: str) -> dict[str, Any] | None:
    """The curator a bearer token belongs to, or None."""
    row = db.query_one(
        "SELECT c.id, c.name FROM tokens t JOIN curators c ON c.id = t.curator_id WHERE t.token_hash = ?",
        [_digest(token)],
    )
    return _public(row)
