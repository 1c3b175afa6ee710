"""The one place request parameters are read as numbers and dates, with bounds.

A parameter is text anyone can type: "²" passes str.isdigit() but not int(), a 25-digit id
overflows PostgreSQL's integer, a page of 10**20 overflows OFFSET, a date of 9999-12-31 has no
next day. Views read numbers and dates only through these helpers, so every odd value becomes
the translated 400 page (or 404 for an id in a path), never a server error.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: Ids are INTEGER columns (int4 on PostgreSQL): nothing larger can name a row.
MAX_ID = 2**31 - 1
#: A list is paged far before this; deeper pages are refused instead of asking the database.
MAX_PAGE = 10_000
_ASCII_DIGITS = re.compile(r"[0-9]{1,12}")
#: The calendar dates a person may ask about: their day after exists, and the databases store them.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def parse_int(text: str | None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The number written with ASCII digits (and an optional minus) within bounds, else None."""
    text = (text or "").strip()
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not _ASCII_DIGITS.fullmatch(digits):
        return None
    value = -int(digits) if negative else int(digits)
    return value if minimum <= value <= maximum else None


def int_arg(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A query-string (or form) number: absent or empty gives `default`; anything else that is
    not a number within bounds answers 400."""
    raw = request.values.get(name, "")
    if raw.strip() == "":
        return default
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        abort(400)
    return value


def id_arg(name: str) -> int | None:
    """A row id in the query string (a category, a district…): None when absent, 400 when not an id."""
    return int_arg(name, None, minimum=1)


def page_arg(name: str = "page") -> int:
    return int_arg(name, 1, minimum=1, maximum=MAX_PAGE) or 1


def parse_date(raw: str) -> date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw or ""):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if EARLIEST_DATE <= value <= LATEST_DATE else None


class BoundedIdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits up to MAX_ID. A longer number matches no route (404)
    instead of overflowing the database's integer."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Any) -> None:
    app.url_map.converters["int"] = BoundedIdConverter
