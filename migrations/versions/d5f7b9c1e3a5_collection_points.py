"""Village collection points: farmers drop orders there on its days, buyers collect them all with one code.

Revision ID: d5f7b9c1e3a5
Revises: c4e6a8b0d2f3
"""
import sqlalchemy as sa
from alembic import op

revision = "d5f7b9c1e3a5"
down_revision = "c4e6a8b0d2f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collection_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("opening_days", sa.String(length=7), nullable=False),
        sa.Column("opens_minute", sa.Integer(), nullable=False),
        sa.Column("closes_minute", sa.Integer(), nullable=False),
        sa.Column("capacity_per_day", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["village_id"], ["villages.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_collection_points_village_id", "collection_points", ["village_id"])
    op.create_index("ix_collection_points_manager_id", "collection_points", ["manager_id"])
    op.create_table(
        "collection_point_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["collection_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("point_id", "day"),
    )
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["collection_points.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("point_id", "buyer_id", "day", name="uq_collections_point_buyer_day"),
        sa.UniqueConstraint("point_id", "day", "code", name="uq_collections_point_day_code"),
    )
    op.create_index("ix_collections_point_id", "collections", ["point_id"])
    op.create_index("ix_collections_buyer_id", "collections", ["buyer_id"])
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("collection_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_orders_collection_id_collections", "collections", ["collection_id"], ["id"])
        batch.create_index("ix_orders_collection_id", ["collection_id"])


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_collection_id")
        batch.drop_constraint("fk_orders_collection_id_collections", type_="foreignkey")
        batch.drop_column("collection_id")
    op.drop_index("ix_collections_buyer_id", table_name="collections")
    op.drop_index("ix_collections_point_id", table_name="collections")
    op.drop_table("collections")
    op.drop_table("collection_point_days")
    op.drop_index("ix_collection_points_manager_id", table_name="collection_points")
    op.drop_index("ix_collection_points_village_id", table_name="collection_points")
    op.drop_table("collection_points")
