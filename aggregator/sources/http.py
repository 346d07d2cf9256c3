"""HTTP for the polling sources: one polite session, timeouts, and errors the collector understands."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from aggregator import netpolicy
from aggregator.sources.base import SourceError

AUTH_RETRY = 900.0  # a rejected credential is retried after 15 minutes
REFUSED_RETRY = 3600.0  # an address the policy refuses is tried again after an hour (DNS may change)
VERSION = "0.1.0"  # pyproject.toml's version


def user_agent(settings: Mapping[str, Any]) -> str:
    """How every outgoing request names Tagstory: `Tagstory/VERSION (+CONTACT_URL)`.

    The one place it is made: this session, tweepy's clients, the Jetstream socket and the
    AppView lookups all send it. USER_AGENT, when set, replaces it whole.
    """
    return settings["USER_AGENT"] or f"Tagstory/{VERSION} (+{settings['CONTACT_URL']})"


def timeout_seconds(settings: dict[str, Any]) -> float | None:
    """HTTP_TIMEOUT as a socket timeout: seconds, or None (no limit) when it is 0."""
    seconds = float(settings["HTTP_TIMEOUT"])
    return seconds if seconds > 0 else None


class Http:
    """A polite session for one remote service: its User-Agent, a timeout, plain errors.

    Every request (and every redirect hop) follows the address policy (aggregator.netpolicy).
    """

    def __init__(self, settings: dict[str, Any], what: str) -> None:
        self.what = what
        self.session = netpolicy.guarded_session(settings)
        self.session.headers["User-Agent"] = user_agent(settings)
        self.timeout = timeout_seconds(settings)

    def get(
        self,
        url: str,
        reset_header: str | None = None,
        timeout: float | None = None,
        explain: Explain | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """GET `url` (see `send`); `timeout` overrides HTTP_TIMEOUT (a stream's read timeout)."""
        timeout = timeout or self.timeout
        return send(
            self.session, "GET", url, self.what, reset_header, timeout=timeout, explain=explain, **kwargs
        )

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        """POST to `url`, with the same error handling as `get`."""
        return send(self.session, "POST", url, self.what, timeout=self.timeout, **kwargs)

    def json(self, response: requests.Response) -> Any:
        """The JSON body of `response` (see `json_body`)."""
        return json_body(response, self.what)


Explain = Callable[[requests.Response], "SourceError | None"]
"""Reads a network's own error body (Google's `errors[].reason`, Meta's `error.code`) into a SourceError."""


def retry_after(response: requests.Response, reset_header: str | None = None) -> float | None:
    """Seconds until a rate limit lifts, from Retry-After or a reset header (epoch or date)."""
    now = time.time()
    for name in (reset_header, "Retry-After"):
        raw = response.headers.get(name) if name else None
        if not raw:
            continue
        try:
            value = float(raw)
            return max(1.0, value - now if value > 1e9 else value)
        except ValueError:
            pass
        try:
            return max(1.0, parsedate_to_datetime(raw).timestamp() - now)
        except (TypeError, ValueError):
            try:
                return max(1.0, datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() - now)
            except ValueError:
                continue
    return None


def send(
    client: requests.Session,
    method: str,
    url: str,
    what: str,
    reset_header: str | None = None,
    timeout: float = 20.0,
    explain: Explain | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; turn network failures and error statuses into SourceError with a plain message.

    `explain` sees every error status first: a network whose error body says more than its
    status (a quota, an ended chat) turns it into its own SourceError.
    """
    try:
        response = client.request(method, url, timeout=timeout, **kwargs)
    except netpolicy.AddressRefused as error:
        raise refused(what, error) from error
    except requests.Timeout as error:
        raise SourceError(f"{what} did not answer in time") from error
    except requests.RequestException as error:
        raise SourceError(f"{what} is unreachable: {type(error).__name__}") from error
    if explain is not None and response.status_code >= 400:
        explained = explain(response)
        if explained is not None:
            raise explained
    if response.status_code == 429:
        wait = retry_after(response, reset_header) or 60.0
        raise SourceError(f"{what} rate limit reached (429); waiting {wait:.0f} s", retry_after=wait)
    if response.status_code in (401, 403):
        raise SourceError(
            f"{what} refused access ({response.status_code}): check the credential",
            retry_after=AUTH_RETRY,
            rate_limited=False,
        )
    if response.status_code >= 500:
        raise SourceError(f"{what} failed ({response.status_code})")
    if response.status_code not in (200, 304):
        raise SourceError(f"{what} answered {response.status_code}")
    return response


def refused(what: str, error: netpolicy.AddressRefused) -> SourceError:
    """The SourceError of a fetch the address policy refused: said plainly, retried rarely."""
    return SourceError(
        f"{what} refused by the address policy: {error} (FETCH_ALLOW_PRIVATE allows private addresses)",
        retry_after=REFUSED_RETRY,
        rate_limited=False,
    )


def json_body(response: requests.Response, what: str) -> Any:
    """The JSON body of a response, or SourceError when it is truncated or not JSON."""
    try:
        return response.json()
    except ValueError as error:
        raise SourceError(
            f"{what} sent a body that is not valid JSON ({len(response.content)} bytes)"
        ) from error
