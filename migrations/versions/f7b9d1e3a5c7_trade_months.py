"""Open data: the monthly kilometres and CO₂ of the collective ways (collection points, shared trips) per district, and what they saved.

Revision ID: f7b9d1e3a5c7
Revises: e6a8c0d2f4b6
"""
import sqlalchemy as sa
from alembic import op

revision = "f7b9d1e3a5c7"
down_revision = "e6a8c0d2f4b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trade_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("way", sa.String(length=16), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("farmers", sa.Integer(), nullable=False),
        sa.Column("metres", sa.Integer(), nullable=False),
        sa.Column("baseline_metres", sa.Integer(), nullable=False),
        sa.Column("co2_grams", sa.Integer(), nullable=False),
        sa.Column("baseline_co2_grams", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"]),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_trade_months_month", "trade_months", ["month", "district_id", "way"], unique=True)


def downgrade():
    op.drop_index("ix_trade_months_month", table_name="trade_months")
    op.drop_table("trade_months")
