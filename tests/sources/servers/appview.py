"""A Bluesky AppView answering `app.bsky.actor.getProfiles` as the public one does (no login)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response


class FakeAppView:
    """getProfiles for up to 25 `actors`: every DID gets a profile unless `hidden`; `labels` self-label some.

    `requests` lists the actors of each request, `user_agents` what each request said it was;
    `failing` makes every request answer 502.
    """

    def __init__(self) -> None:
        self.labels: dict[str, list[str]] = {}  # did -> self-label values
        self.hidden: set[str] = set()  # DIDs the AppView leaves out of its answer
        self.requests: list[list[str]] = []
        self.user_agents: set[str] = set()
        self.failing = False

    def label(self, did: str, *values: str) -> None:
        self.labels[did] = list(values)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self.user_agents.add(request.headers.get("User-Agent", ""))
        if request.path != "/xrpc/app.bsky.actor.getProfiles":
            return _json({"error": "MethodNotImplemented", "message": "Method Not Implemented"}, 501)
        actors = request.args.getlist("actors")
        self.requests.append(actors)
        if self.failing:
            return _json({"error": "UpstreamFailure", "message": "upstream failed"}, 502)
        if not actors or len(actors) > 25:
            return _json({"error": "InvalidRequest", "message": "actors must hold 1 to 25 items"}, 400)
        return _json({"profiles": [self._profile(did) for did in actors if did not in self.hidden]})

    def _profile(self, actor: str) -> dict[str, Any]:
        did = actor if actor.startswith("did:") else "did:plc:" + actor.split(".", 1)[0]  # a handle resolves
        uri = f"at://{did}/app.bsky.actor.profile/self"
        labels = [
            {"src": did, "uri": uri, "cid": "bafyreiprofile", "val": value, "cts": "2026-01-01T00:00:00.000Z"}
            for value in self.labels.get(did, [])
        ]
        handle = actor if not actor.startswith("did:") else did.rsplit(":", 1)[-1] + ".bsky.social"
        return {"did": did, "handle": handle, "displayName": handle, "labels": labels}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")
