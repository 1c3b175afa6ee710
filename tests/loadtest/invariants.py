"""What must hold in the database after the load, whatever the timing: read with SQL, not trusted to the app.

- no listing oversold: no stock below zero, and every scarce listing's starting stock is exactly its
  stock now plus what live orders hold;
- every order balanced: its lines add up to its items total, items plus delivery to its total, and a
  pay-on-pickup order has no ledger entry (the platform never held that money);
- no submission lost: every application the load test saw sent has its reference and is submitted;
- every notification sent exactly once: no message left waiting, failed or half-sent, each sent in one
  attempt, and the SMS gateway received exactly one SMS per message (no duplicates).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text


def check(database_url: str, seed: dict, submitted_keys: list[str], gateway_sent: list, workers_killed: int = 0) -> dict[str, str]:
    engine = create_engine(database_url)
    results: dict[str, str] = {}
    with engine.connect() as db:
        negative = db.execute(text("SELECT count(*) FROM listings WHERE stock_milli < 0")).scalar()
        held = dict(db.execute(text(
            "SELECT i.listing_id, COALESCE(SUM(i.quantity_milli), 0) FROM order_items i JOIN orders o ON o.id = i.order_id "
            "WHERE o.status <> 'cancelled' GROUP BY i.listing_id")).all())
        stock = dict(db.execute(text("SELECT id, stock_milli FROM listings")).all())
        leaks = [f"listing {lid}: started {start}, now {stock[int(lid)]} + held {held.get(int(lid), 0)}"
                 for lid, start in seed["scarce"].items() if stock[int(lid)] + held.get(int(lid), 0) != start]
        sold = sum(held.get(int(lid), 0) for lid in seed["scarce"])
        results["no listing oversold"] = ("ok" if not negative and not leaks else
                                          f"FAILED: {negative} negative; {leaks[:5]}") + f" ({sold / 1000:g} kg of scarce produce held by orders)"

        unbalanced = db.execute(text(
            "SELECT o.number FROM orders o LEFT JOIN order_items i ON i.order_id = o.id GROUP BY o.id, o.number, o.items_total_minor, "
            "o.delivery_fee_minor, o.total_minor HAVING COALESCE(SUM(i.line_total_minor), -1) <> o.items_total_minor "
            "OR o.items_total_minor + o.delivery_fee_minor <> o.total_minor")).scalars().all()
        cash_in_ledger = db.execute(text(
            "SELECT count(*) FROM ledger_entries l JOIN orders o ON l.reference = o.number WHERE o.payment_method = 'on_pickup'")).scalar()
        orders = db.execute(text("SELECT count(*) FROM orders")).scalar()
        results["every order balanced"] = ("ok" if not unbalanced and not cash_in_ledger else
                                            f"FAILED: {unbalanced[:5]}, {cash_in_ledger} ledger entries for cash orders") + f" ({orders} orders)"

        found = dict(db.execute(text("SELECT key, status FROM submissions WHERE key = ANY(:keys) AND reference IS NOT NULL"),
                                {"keys": submitted_keys}).all()) if submitted_keys else {}
        lost = [key for key in submitted_keys if found.get(key) != "submitted"]
        results["no submission lost"] = ("ok" if not lost else f"FAILED: {lost[:5]}") + f" ({len(submitted_keys)} sent)"

        states = dict(db.execute(text("SELECT status, count(*) FROM outbox_messages GROUP BY status")).all())
        retried = db.execute(text("SELECT count(*) FROM outbox_messages WHERE status = 'sent' AND attempts <> 1")).scalar()
        sms = db.execute(text("SELECT count(*) FROM outbox_messages WHERE channel = 'sms' AND status = 'sent'")).scalar()
        duplicates = [pair for pair, n in Counter((s.to, s.message) for s in gateway_sent).items() if n > 1]
        # A worker killed while handing a message to the gateway leaves it "sending": it may have
        # arrived, so nothing sends it again and /admin/outbox asks a person. At most one per kill.
        interrupted = states.get("sending", 0)
        ok = (set(states) <= {"sent", "sending"} and interrupted <= workers_killed and not retried and not duplicates
              and 0 <= len(gateway_sent) - sms <= interrupted)
        results["every notification sent exactly once"] = ("ok" if ok else
            f"FAILED: states {states}, {retried} not in one attempt, {sms} SMS rows vs {len(gateway_sent)} received, "
            f"{len(duplicates)} duplicates") + f" ({sms} SMS" \
        + (f"; {interrupted} interrupted by the killed worker, left for an admin" if interrupted else "") + ")"
    engine.dispose()
    return results


def load_submitted(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def load_seed(path: Path) -> dict:
    return json.loads(path.read_text())
