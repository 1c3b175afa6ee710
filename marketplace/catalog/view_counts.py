"""Listing view counts, added up in each process and written in batches.

A write on every page view would serialise readers behind a writer (SQLite) and
cost a transaction per view (PostgreSQL). Counts are soft figures for the
farmer's dashboard, so each process keeps a tally and writes it at most every
VIEW_COUNT_FLUSH_SECONDS with one UPDATE per listing; at worst a crash loses a
few seconds of views. 0 writes every view at once (tests).
"""
from __future__ import annotations

import threading
import time
from collections import Counter

from flask import current_app
from sqlalchemy.exc import DBAPIError

from marketplace.catalog.models import Listing, ListingStatus
from marketplace.extensions import db

_pending: Counter[int] = Counter()
_lock = threading.Lock()
_last_flush = time.monotonic()


def record_view(listing_id: int) -> None:
    global _last_flush
    with _lock:
        _pending[listing_id] += 1
        due = time.monotonic() - _last_flush >= current_app.config.get("VIEW_COUNT_FLUSH_SECONDS", 5)
        if not due:
            return
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    flush(batch)


def flush(batch: dict[int, int] | None = None) -> None:
    """Write counts; updated_at is kept: a view is not a change (it is the catalog's cache version).

    Rows are updated in id order, the order every stock change locks them in, so a flush and a
    checkout never deadlock. A flush that still fails (a lock timeout) keeps its counts for the next
    one: a page view must never fail because of its counter.
    """
    if batch is None:
        with _lock:
            batch = dict(_pending)
            _pending.clear()
    if not batch:
        return
    try:
        for listing_id in sorted(batch):
            db.session.execute(
                db.update(Listing).where(Listing.id == listing_id, Listing.status == ListingStatus.ACTIVE)
                .values(view_count=Listing.view_count + batch[listing_id], updated_at=Listing.updated_at)
            )
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        with _lock:
            _pending.update(batch)
        current_app.logger.warning("listing view counts kept for the next flush", exc_info=True)
