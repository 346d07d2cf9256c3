"""Issue 8, the web's share: cookies, login throttling and sessions, redirects, hostile JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import create_app


def _app(tmp_path: Path, **config: Any) -> Any:
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "test.sqlite"),
            "SECRET_KEY": "test",
            "DEMO": False,
            "COLLECT": False,
            "ASYNC_MODE": "threading",
            **config,
        }
    )


def _session_cookie(response: Any) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, response.headers
    return cookies[0]


def test_the_session_cookie_is_samesite_lax_and_httponly_by_default(client):
    cookie = _session_cookie(client.get("/login"))
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1: a Secure cookie would never come back


def test_samesite_is_a_setting(tmp_path):
    app = _app(tmp_path, SESSION_COOKIE_SAMESITE="Strict")
    assert "SameSite=Strict" in _session_cookie(app.test_client().get("/login"))


def test_the_secure_setting_marks_the_cookie_secure(tmp_path):
    app = _app(tmp_path, SESSION_COOKIE_SECURE=True)
    assert "; Secure" in _session_cookie(app.test_client().get("/login"))


def test_a_request_over_https_gets_a_secure_cookie(client):
    cookie = _session_cookie(client.get("/login", base_url="https://localhost"))
    assert "; Secure" in cookie and "SameSite=Lax" in cookie


def test_behind_a_trusted_proxy_its_forwarded_scheme_counts(tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    trusting = _app(tmp_path / "a", TRUSTED_PROXIES=1).test_client()
    assert "; Secure" in _session_cookie(trusting.get("/login", headers=forwarded))
    # Without the setting anyone could send the header: it is ignored.
    plain = _app(tmp_path / "b").test_client()
    assert "Secure" not in _session_cookie(plain.get("/login", headers=forwarded))
