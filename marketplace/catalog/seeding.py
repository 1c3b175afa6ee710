"""Categories are reference data every installation needs: migrations and tests load them here."""
from __future__ import annotations

from sqlalchemy import Connection, text

from marketplace.catalog.categories import CATEGORY_TREE


def ensure_categories(connection: Connection) -> None:
    """Insert the categories that are missing (idempotent; plain SQL so migrations can call it)."""
    existing = {row.slug: row.id for row in connection.execute(text("SELECT id, slug FROM categories"))}
    for position, (slug, (_label, parent_slug)) in enumerate(CATEGORY_TREE.items()):
        if slug in existing:
            continue
        connection.execute(
            text("INSERT INTO categories (slug, parent_id, position) VALUES (:slug, :parent, :position)"),
            {"slug": slug, "parent": existing.get(parent_slug) if parent_slug else None, "position": position},
        )
        existing[slug] = connection.execute(text("SELECT id FROM categories WHERE slug = :slug"), {"slug": slug}).scalar_one()

