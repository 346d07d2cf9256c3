"""Post ~1 KB items to a feed through the API at a fixed rate, each stamped with its ingest time.

The poster shares the load client's core with the viewers, so it is lean: one keep-alive
`http.client` connection per thread (about a third of `requests`' client CPU per post, which
had become a good part of what a saturated row measured).
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

WORDS = (
    "summit hall speakers trade notes live storytelling open data newsroom publish events unfold city",
    "tonight panel question answer slides coffee break keynote audience stream archive curate pin quote",
    "photo thread reply follow hashtag moment timeline editor reader mobile desk deadline source verify",
)


def item_text(index: int, size: int) -> str:
    """Item `index`: the marker viewers parse, then random words (compressing like prose) up to `size`."""
    head = f"tsbench:{index}:{time.time():.6f}: "
    words = random.Random(index).choices(" ".join(WORDS).split(), k=size // 5)
    return (head + " ".join(words))[:size]


@dataclass
class IngestResult:
    posted: int = 0
    failed: int = 0
    started: float = 0.0
    finished: float = 0.0
    post_seconds: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Items per second actually accepted by the server."""
        return self.posted / max(self.finished - self.started, 1e-9)


def ingest(
    url: str,
    token: str,
    feed: str,
    rate: float,
    seconds: float,
    size: int = 1000,
    threads: int = 16,
    post_timeout: float = 10.0,
    first: int = 0,
) -> IngestResult:
    """POST `rate` items/s for `seconds` from a few keep-alive connections; return what happened.

    Item k is due at start + k/rate; a poster that falls behind posts at once, so the
    accepted rate shows what the server sustains. Nothing is posted after the window, so
    it ends within `seconds` + `post_timeout`. Items are numbered from `first`.
    """
    result = IngestResult(started=time.time())
    deadline = result.started + seconds
    counter = itertools.count(first)
    lock = threading.Lock()

    def poster() -> None:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=post_timeout)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while True:
            with lock:
                index = next(counter)
            due = result.started + (index - first) / rate
            if due >= deadline or time.time() >= deadline:  # slow answers end the window too
                connection.close()
                return
            time.sleep(max(0.0, due - time.time()))
            body = {"text": item_text(index, size), "author": {"name": "Bench"}, "source_id": str(index)}
            began = time.time()
            try:
                connection.request("POST", f"/api/feeds/{feed}/items", json.dumps(body).encode(), headers)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 201
            except (OSError, http.client.HTTPException):
                connection.close()  # the next request connects again
                ok = False
            with lock:
                result.post_seconds.append(time.time() - began)
                if ok:
                    result.posted += 1
                else:
                    result.failed += 1

    workers = [threading.Thread(target=poster, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result.finished = time.time()
    return result
