"""Curators log in (throttled) and out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request

from stories.curators import authenticate
from web.accounts.throttle import LoginThrottle, keys_for
from web.lookups import database
from web.security import csrf_ok, end_session, safe_next, start_session

pages = Blueprint("accounts", __name__)


def _login_throttle() -> LoginThrottle:
    config = current_app.config
    return LoginThrottle(database(), config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"])


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log a curator in with name and password (throttled per name and per client address)."""
    if request.method == "POST":
        if not csrf_ok():
            abort(400, "The form expired; reload the page and try again.")
        name = request.form.get("name", "")
        throttle, keys = _login_throttle(), keys_for(name, request.remote_addr)
        wait = throttle.retry_after(keys)
        if wait:
            flash(f"Too many failed logins; try again in {wait} seconds.")
            response = make_response(render_template("login.html"), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        curator = authenticate(database(), name, request.form.get("password", ""))
        if curator:
            throttle.succeeded(name)
            start_session(curator)
            return redirect(safe_next(request.args.get("next")))
        throttle.failed(keys)
        flash("Wrong name or password.")
        return render_template("login.html"), 401
    return render_template("login.html")


@pages.post("/logout")
def logout() -> Any:
    """Log out (a form with the CSRF token): this curator's sessions end everywhere."""
    if not csrf_ok():
        abort(400, "The form expired; reload the page and try again.")
    end_session()
    return redirect("/")
