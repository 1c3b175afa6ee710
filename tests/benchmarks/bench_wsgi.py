"""The app as served in the benchmark, plus the ceiling page: a bare view running one
indexed query for 20 rows and returning minimal HTML, under the same server settings."""
from markupsafe import escape
from sqlalchemy import text

from marketplace import create_app
from marketplace.extensions import db

app = create_app()


@app.get("/_ceiling")
def ceiling():
    rows = db.session.execute(text(
        "SELECT id, title, price_minor FROM listings WHERE status = 'active' ORDER BY id DESC LIMIT 20"
    ))
    items = "".join(f"<li>{escape(r.title)} {r.price_minor}</li>" for r in rows)
    return f"<!doctype html><title>ceiling</title><ul>{items}</ul>"
