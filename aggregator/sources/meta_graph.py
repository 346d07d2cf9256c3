"""Errors of Meta's Graph APIs (Threads, Instagram), read from their JSON body.

Meta answers most errors with HTTP 400 and `{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}`; the `code` says what happened
(https://developers.facebook.com/docs/graph-api/guides/error-handling): 190 a token that is
invalid or expired, 10 and 200–299 a missing permission, 4 / 17 / 32 / 613 and 80001–80014
rate limits (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), whose
`X-Business-Use-Case-Usage` / `X-App-Usage` headers carry `estimated_time_to_regain_access`
(minutes).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from aggregator.jsontext import as_dict, as_list
from aggregator.sources.base import SourceError
from aggregator.sources.http import AUTH_RETRY, Explain, retry_after

RATE_LIMIT_CODES = {4, 17, 32, 613, *range(80001, 80015)}
RATE_LIMIT_WAIT = 600.0  # seconds, when Meta gives no estimate: its limits count over a rolling hour


def error_of(response: requests.Response) -> dict[str, Any]:
    """The `error` object of a Graph API answer ({} when the body is not one)."""
    try:
        return as_dict(as_dict(response.json()).get("error"))
    except ValueError:
        return {}


def _regain_seconds(response: requests.Response) -> float | None:
    """Minutes until access is back, from Meta's usage headers, as seconds."""
    minutes: list[float] = []
    for header in ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Ad-Account-Usage"):
        try:
            usage = json.loads(response.headers.get(header) or "null")
        except ValueError:
            continue
        entries = [entry for value in as_dict(usage).values() for entry in as_list(value)] + [usage]
        for entry in entries:
            value = as_dict(entry).get("estimated_time_to_regain_access")
            if isinstance(value, (int, float)) and value > 0:
                minutes.append(float(value))
    return max(minutes) * 60 if minutes else None


def explainer(what: str, token_setting: str, permission: str) -> Explain:
    """An `explain` for aggregator.sources.http: Meta's error codes as plain SourceErrors."""

    def explain(response: requests.Response) -> SourceError | None:
        error = error_of(response)
        code = error.get("code")
        message = str(error.get("message") or "")[:300]
        if code in RATE_LIMIT_CODES or response.status_code == 429:
            wait = _regain_seconds(response) or retry_after(response) or RATE_LIMIT_WAIT
            return SourceError(
                f"{what} rate limit reached (code {code or response.status_code}); waiting {wait:.0f} s",
                retry_after=wait,
            )
        if code == 190 or response.status_code == 401:
            return SourceError(
                f"{what} refused the access token ({response.status_code}, code {code}):"
                f" check {token_setting}",
                retry_after=AUTH_RETRY,
                rate_limited=False,
            )
        if code == 10 or (isinstance(code, int) and 200 <= code <= 299) or response.status_code == 403:
            return SourceError(
                f"{what} refused: the token lacks the {permission} permission (code {code}): {message}",
                retry_after=AUTH_RETRY,
                rate_limited=False,
            )
        if error:
            return SourceError(f"{what} answered {response.status_code} (code {code}): {message}")
        return None

    return explain
