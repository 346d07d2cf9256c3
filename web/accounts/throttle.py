"""Failed logins, counted per account and per client address in a sliding window.

After LOGIN_MAX_FAILURES failures within LOGIN_WINDOW_SECONDS for the name tried or for
the address it came from, the login form answers 429 with Retry-After — even to the right
password — until the oldest of those failures leaves the window. Refused attempts are not
checked and not counted. Failures live in the database, so every web process and a
restart see the same counts. The wall's form (web.participate) counts its posts per address
with the same class and table, under keys of its own kind (`web-post:`) and its own window.
"""

from __future__ import annotations

import math
import time

from aggregator.db import Database


def keys_for(name: str, address: str | None) -> list[str]:
    """What a login attempt is counted against: the account name and the client's address.

    Names longer than any account's (64) are cut, so a 2 MB name stores no 2 MB key.
    """
    return [f"name:{name[:65]}", f"address:{address or 'unknown'}"]


class LoginThrottle:
    """Counts failures and says how long a name or address must wait."""

    def __init__(self, db: Database, max_failures: int, window_seconds: float) -> None:
        self.db = db
        self.max_failures = max(1, max_failures)
        self.window = window_seconds

    def retry_after(self, keys: list[str]) -> int:
        """Seconds until an attempt for `keys` may be checked again (0: now)."""
        now = time.time()
        wait = 0.0
        for key in keys:
            row = self.db.query_one(
                "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                [key, now - self.window, self.max_failures - 1],
            )
            if row is not None:
                wait = max(wait, row["at"] + self.window - now)
        return math.ceil(wait)

    def failed(self, keys: list[str]) -> None:
        """Count a failed attempt against every key; forget failures older than the window."""
        self.count(keys)

    def count(self, keys: list[str]) -> None:
        """Count an attempt against every key; forget those of the keys' kinds (the text before
        `:`) older than the window, so throttles of other windows (the wall's form) keep theirs."""
        now = time.time()
        kinds = sorted({key.partition(":")[0] + ":" for key in keys})
        with self.db.write() as tx:
            tx.execute(
                "DELETE FROM login_failures WHERE at <= ?"
                f" AND substr(key, 1, instr(key, ':')) IN ({', '.join('?' * len(kinds))})",
                [now - self.window, *kinds],
            )
            for key in keys:
                tx.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", [key, now])

    def succeeded(self, name: str) -> None:
        """The account's owner logged in: its name starts afresh (its address does not)."""
        with self.db.write() as tx:
            tx.execute("DELETE FROM login_failures WHERE key = ?", [f"name:{name}"])
