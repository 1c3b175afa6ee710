"""Listings by village, newest first: "closest to me" walks the nearest villages through this index.

Revision ID: b1d3f5a7c9e2
Revises: a8c2e4f6b9d1
"""
from alembic import op

revision = "b1d3f5a7c9e2"
down_revision = "a8c2e4f6b9d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_listings_village_status_id", "listings", ["village_id", "status", "id"])


def downgrade():
    op.drop_index("ix_listings_village_status_id", table_name="listings")
