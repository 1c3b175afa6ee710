"""The gazetteer: villages have coordinates, so a report can be placed by latitude and longitude.

Revision ID: f3a5c7e9b1d4
Revises: e2b4d6f8a1c3
"""
import sqlalchemy as sa
from alembic import op

revision = "f3a5c7e9b1d4"
down_revision = "e2b4d6f8a1c3"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("villages", sa.Column("latitude", sa.Double(), nullable=True))
    op.add_column("villages", sa.Column("longitude", sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table("villages") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
