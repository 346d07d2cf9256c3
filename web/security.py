"""Who is asking (session or bearer token), CSRF, and the Content-Security-Policy."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from stories.curators import curator_for_token, get_curator

# No inline script anywhere; images may come from the networks the posts came from.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:;"
    " connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none';"
    " frame-ancestors 'none'; form-action 'self'"
)
# The exported file is standalone: its own inline CSS, no script at all.
EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:"


def current_curator() -> dict[str, Any] | None:
    """The curator behind this request (bearer token first, then the session), or None."""
    if "curator" not in g:
        db = current_app.extensions["tagstory.db"]
        header = request.headers.get("Authorization", "")
        curator = None
        if header.startswith("Bearer "):
            curator = curator_for_token(db, header[len("Bearer ") :].strip())
            g.via_token = curator is not None
        elif session.get("curator"):
            curator = get_curator(db, session["curator"])
        g.curator = curator
    return g.curator


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok() -> bool:
    """Whether a cookie-authenticated write carries this session's CSRF token."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf")
    # Compare bytes: compare_digest refuses str with non-ASCII characters (a forged token).
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def curator_required(view: Callable) -> Callable:
    """Refuse the request unless a curator is behind it (and, for a cookie write, the CSRF token)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_curator() is None:
            abort(401, "log in as a curator, or send Authorization: Bearer <token>")
        writing = request.method not in ("GET", "HEAD", "OPTIONS")
        if writing and not g.get("via_token") and not csrf_ok():
            abort(403, "missing or wrong CSRF token (X-CSRF-Token header)")
        return view(*args, **kwargs)

    return wrapped


def _headers(response: Response) -> Response:
    if request.endpoint == "pages.export_html":
        response.headers["Content-Security-Policy"] = EXPORT_CSP
    else:
        response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked Secure on every request that came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    """Add security headers to every response and `csrf_token()` to templates; set cookie rules."""
    app.session_interface = SessionCookies()
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # the client's address and scheme as the proxies in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_curator"] = current_curator
