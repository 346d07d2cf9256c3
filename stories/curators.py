"""Curators: the accounts that may change stories and feeds, with passwords and API tokens."""

from __future__ import annotations

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


def authenticate(db: Database, name: str, password: str) -> dict[str, Any] | None:
    """The curator whose name and password match, or None."""
    row = db.query_one("SELECT id, name, password_hash FROM curators WHERE name = ?", [name])
    if row is None or not row["password_hash"]:
        # Spend the same time as a real check, so names cannot be probed by timing.
        check_password_hash(generate_password_hash("x"), password or "")
        return None
    return _public(row) if check_password_hash(row["password_hash"], password or "") else None


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


def curator_for_token(db: Database, token: str) -> dict[str, Any] | None:
    """The curator a bearer token belongs to, or None."""
    row = db.query_one(
        "SELECT c.id, c.name FROM tokens t JOIN curators c ON c.id = t.curator_id WHERE t.token_hash = ?",
        [_digest(token)],
    )
    return _public(row)
