"""Who is asking (session or bearer token), CSRF, and the Content-Security-Policy."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, make_response, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from stories.curators import curator_for_session, curator_for_token, end_sessions, session_generation

# No inline script anywhere; images may come from the networks the posts came from.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:;"
    " connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none';"
    " frame-ancestors 'none'; form-action 'self'"
)
# An embed page may sit in another site's iframe: the site CSP with frame-ancestors from the setting.
EMBED_SOURCE = re.compile(r"^(\*|'self'|https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")
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
        else:
            curator = session_curator()
        g.curator = curator
    return g.curator


def session_curator() -> dict[str, Any] | None:
    """The curator the session cookie names, unless that session was ended (logout); or None.

    Works over HTTP and in Socket.IO handlers (their session is the one at connect).
    """
    return _curator_named_by(session)


CONNECTION_SESSION = "tagstory.session"  # in a Socket.IO connection's WSGI mapping: its session, once opened


def connection_curator(app: Flask, wsgi_request: dict[str, Any]) -> dict[str, Any] | None:
    """`session_curator` of a Socket.IO connection, from its connect request's cookie (no request context).

    For the handlers registered on python-socketio itself (web/realtime.py: a join builds no
    Flask request context). The session is the one at connect, as Flask-SocketIO's: it is
    opened once per connection and kept in its connect request's WSGI mapping, `wsgi_request`.
    """
    data = wsgi_request.get(CONNECTION_SESSION)
    if data is None:
        cookie = "HTTP_COOKIE" in wsgi_request  # no cookie, no session (most viewers): nothing to open
        opened = app.session_interface.open_session(app, app.request_class(wsgi_request)) if cookie else None
        data = wsgi_request[CONNECTION_SESSION] = opened or {}
    return _curator_named_by(data)


def _curator_named_by(data: Any) -> dict[str, Any] | None:
    name = data.get("curator")
    if not isinstance(name, str) or not name:
        return None
    return curator_for_session(current_app.extensions["tagstory.db"], name, data.get("generation"))


def start_session(curator: dict[str, Any]) -> None:
    """Log `curator` in on this session (keeping its CSRF token), in their current generation."""
    csrf = session.get("csrf")
    session.clear()
    session["curator"] = curator["name"]
    session["generation"] = session_generation(current_app.extensions["tagstory.db"], curator["name"])
    session["csrf"] = csrf


def end_session() -> None:
    """Log out: void every session of this curator server-side (copied cookies too), clear this one."""
    curator = session_curator()
    if curator is not None:
        end_sessions(current_app.extensions["tagstory.db"], curator["name"])
    session.clear()


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else "/": what a login may redirect to.

    Refused: anything not starting with one "/", "//" (another host), backslashes (which
    browsers read as "/"), control, format and space characters (which browsers drop, so
    "/\t/evil.example" would become "//evil.example"), and anything with a scheme or host.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


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


def content_security_policy(policy: str) -> Callable[[Callable], Callable]:
    """Serve the view's responses under `policy` instead of the site's CSP (e.g. EXPORT_CSP)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            response = make_response(view(*args, **kwargs))
            response.headers["Content-Security-Policy"] = policy
            return response

        return wrapped

    return decorate


def embed_frame_ancestors(value: str) -> str:
    """EMBED_FRAME_ANCESTORS checked: space-separated `*`, `'self'` or http(s) origins, else ValueError."""
    sources = value.split()
    bad = [source for source in sources if not EMBED_SOURCE.match(source)]
    if not sources or bad:
        raise ValueError(
            f"EMBED_FRAME_ANCESTORS: {' '.join(bad) or 'empty'} is not `*`, `'self'` or an origin"
            " such as https://event.example"
        )
    return " ".join(sources)


def embeddable(view: Callable) -> Callable:
    """Let other sites frame this view (frame-ancestors EMBED_FRAME_ANCESTORS, no X-Frame-Options)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        ancestors = current_app.config["EMBED_FRAME_ANCESTORS"]
        response.headers["Content-Security-Policy"] = CSP.replace(
            "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
        )
        g.embeddable = True  # _headers leaves X-Frame-Options off
        return response

    return wrapped


def login_first() -> Response:
    """Send the browser to the login form, coming back to this page after."""
    return redirect(url_for("accounts.login", next=request.path))


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if not g.get("embeddable"):
        response.headers["X-Frame-Options"] = "DENY"
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked Secure on every request that came over HTTPS.

    Its serializer is built once per secret, not on every request and Socket.IO event
    (Flask-SocketIO opens the session for each; a reconnect storm sends thousands).
    """

    _serializer: tuple[Any, Any] | None = None  # (the secrets it was built with, the serializer)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def get_signing_serializer(self, app: Flask) -> Any:
        secrets_now = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built = self._serializer
        if built is None or built[0] != secrets_now:
            built = self._serializer = (secrets_now, super().get_signing_serializer(app))
        return built[1]


def init_app(app: Flask) -> None:
    """Add security headers to every response and `csrf_token()` to templates; set cookie rules."""
    app.session_interface = SessionCookies()
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # the client's address and scheme as the proxies in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.config["EMBED_FRAME_ANCESTORS"] = embed_frame_ancestors(app.config["EMBED_FRAME_ANCESTORS"])
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_curator"] = current_curator
