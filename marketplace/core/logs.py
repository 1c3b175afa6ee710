"""Logs an operator can search: one JSON object per line in production, each with the request id.

The id comes from the proxy's X-Request-ID when it sends a sane one, else is made here; it is
echoed in the response so a person's complaint ("it failed at 10:02") leads to the line.
"""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_app_context, has_request_context, request

_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = getattr(g, "request_id", "-")
        else:  # a job carries the id of the request that asked for it
            record.request_id = getattr(g, "job_request_id", "-") if has_app_context() else "-"
        return True


def configure(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    if app.debug or app.testing:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if app.config.get("LOG_FORMAT", "json") == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
