"""Shared trips to town: a farmer or cooperative sells space in a vehicle, farmers on the route book kilograms for their orders.

Revision ID: e6a8c0d2f4b6
Revises: d5f7b9c1e3a5
"""
import sqlalchemy as sa
from alembic import op

revision = "e6a8c0d2f4b6"
down_revision = "d5f7b9c1e3a5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shared_trips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organizer_id", sa.Integer(), nullable=False),
        sa.Column("vehicle", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("departs_minute", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("delivers_from_minute", sa.Integer(), nullable=False),
        sa.Column("delivers_until_minute", sa.Integer(), nullable=False),
        sa.Column("capacity_grams", sa.Integer(), nullable=False),
        sa.Column("booked_grams", sa.Integer(), nullable=False),
        sa.Column("cost_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.Enum("open", "closed", name="tripstatus", native_enum=False, length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["destination_id"], ["villages.id"]),
        sa.ForeignKeyConstraint(["organizer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shared_trips_organizer_id", "shared_trips", ["organizer_id"])
    op.create_index("ix_shared_trips_day", "shared_trips", ["day"])
    op.create_table(
        "shared_trip_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["trip_id"], ["shared_trips.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["village_id"], ["villages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trip_id", "village_id", name="uq_shared_trip_stops_trip_village"),
    )
    op.create_index("ix_shared_trip_stops_trip_id", "shared_trip_stops", ["trip_id"])
    op.create_table(
        "shared_trip_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("farmer_id", sa.Integer(), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
        sa.Column("share_minor", sa.Integer(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["farmer_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["trip_id"], ["shared_trips.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    op.create_index("ix_shared_trip_bookings_trip_id", "shared_trip_bookings", ["trip_id"])
    op.create_index("ix_shared_trip_bookings_farmer_id", "shared_trip_bookings", ["farmer_id"])


def downgrade():
    op.drop_index("ix_shared_trip_bookings_farmer_id", table_name="shared_trip_bookings")
    op.drop_index("ix_shared_trip_bookings_trip_id", table_name="shared_trip_bookings")
    op.drop_table("shared_trip_bookings")
    op.drop_index("ix_shared_trip_stops_trip_id", table_name="shared_trip_stops")
    op.drop_table("shared_trip_stops")
    op.drop_index("ix_shared_trips_day", table_name="shared_trips")
    op.drop_index("ix_shared_trips_organizer_id", table_name="shared_trips")
    op.drop_table("shared_trips")
