"""A farmer's listings by status, with their newest change and views: the version of their kept
"My listings" page is read from this index alone.

Revision ID: c4e6a8b0d2f3
Revises: b1d3f5a7c9e2
"""
from alembic import op

revision = "c4e6a8b0d2f3"
down_revision = "b1d3f5a7c9e2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_listings_farmer_status_updated_views", "listings", ["farmer_id", "status", "updated_at", "view_count"])


def downgrade():
    op.drop_index("ix_listings_farmer_status_updated_views", table_name="listings")
