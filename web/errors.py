"""Errors people can read: JSON under /api, a page elsewhere; never a bare traceback."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from aggregator.errors import Conflict, NotFound
from aggregator.feeds import FeedError
from aggregator.forgotten import AuthorError
from aggregator.items import InvalidItem
from aggregator.moderation import ModerationError
from aggregator.sources import SpecError
from stories.model import StoryError
from stories.roles import NotOwner

# A domain rule refused the request: 400 with its reason.
REFUSALS = (FeedError, SpecError, StoryError, InvalidItem, ModerationError, AuthorError)


def handle_error(error: Exception) -> Any:
    """Answer any error as JSON for the API or as an HTML page, with its status."""
    if not isinstance(error, HTTPException):
        current_app.logger.exception("unexpected error on %s", request.path)
        error = InternalServerError("something went wrong on our side; the server log has the details")
    headers = {k: v for k, v in error.get_headers() if k == "Allow"}  # a 405 says what is allowed
    if request.path.startswith("/api/"):
        return jsonify(error=error.description), error.code, headers
    return render_template("error.html", error=error), error.code, headers


def bad_request(error: ValueError) -> Any:
    """A domain rule refused the request: 400 with its reason."""
    return jsonify(error=str(error)), 400


def forbidden(error: NotOwner) -> Any:
    """Only the owner may do this (change a story's editors): 403 with the reason."""
    return jsonify(error=str(error)), 403


def not_found(error: NotFound) -> Any:
    """A missing element or item: 404 with its reason."""
    return jsonify(error=str(error)), 404


def conflict(error: Conflict) -> Any:
    """A change based on a stale version: 409 with the current state, nothing overwritten."""
    return jsonify(error=str(error), current=error.current), 409


def answer_domain_errors(api: Blueprint) -> Blueprint:
    """Make an API blueprint answer the domain's errors as JSON 4xx (400, 403, 404, 409)."""
    for refusal in REFUSALS:
        api.register_error_handler(refusal, bad_request)
    api.register_error_handler(NotOwner, forbidden)
    api.register_error_handler(NotFound, not_found)
    api.register_error_handler(Conflict, conflict)
    return api


def init_app(app: Flask) -> None:
    """Route every error through `handle_error`."""
    app.register_error_handler(HTTPException, handle_error)
    app.register_error_handler(Exception, handle_error)
