"""Errors people can read: JSON under /api, a page elsewhere; never a bare traceback."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def handle_error(error: Exception) -> Any:
    """Answer any error as JSON for the API or as an HTML page, with its status."""
    if not isinstance(error, HTTPException):
        current_app.logger.exception("unexpected error on %s", request.path)
        error = InternalServerError("something went wrong on our side; the server log has the details")
    headers = {k: v for k, v in error.get_headers() if k == "Allow"}  # a 405 says what is allowed
    if request.path.startswith("/api/"):
        return jsonify(error=error.description), error.code, headers
    return render_template("error.html", error=error), error.code, headers


def init_app(app: Flask) -> None:
    """Route every error through `handle_error`."""
    app.register_error_handler(HTTPException, handle_error)
    app.register_error_handler(Exception, handle_error)
