"""Orders remember where their produce travels from (the farm's village) and to (the buyer's place):
the food miles of every order.

Revision ID: a8c2e4f6b9d1
Revises: f3a5c7e9b1d4
"""
import sqlalchemy as sa
from alembic import op

revision = "a8c2e4f6b9d1"
down_revision = "f3a5c7e9b1d4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("origin_village_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("buyer_village_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_orders_origin_village_id_villages"), "villages", ["origin_village_id"], ["id"])
        batch.create_foreign_key(batch.f("fk_orders_buyer_village_id_villages"), "villages", ["buyer_village_id"], ["id"])
    # Earlier orders: the pickup village is where a pickup order's produce started; the buyer's place
    # is the one they have now (the best we know).
    op.execute("UPDATE orders SET origin_village_id = pickup_village_id WHERE origin_village_id IS NULL")
    op.execute("UPDATE orders SET buyer_village_id = (SELECT users.village_id FROM users WHERE users.id = orders.buyer_id) "
               "WHERE buyer_village_id IS NULL")


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(batch.f("fk_orders_buyer_village_id_villages"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_orders_origin_village_id_villages"), type_="foreignkey")
        batch.drop_column("buyer_village_id")
        batch.drop_column("origin_village_id")
