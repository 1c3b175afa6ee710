"""orders remember where the buyer collects (the listing's pickup point and village, as placed)

Revision ID: b3c1d2e4f5a6
Revises: 7539a544ec6f
Create Date: 2026-12-02 17:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3c1d2e4f5a6'
down_revision = '7539a544ec6f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pickup_point', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('pickup_village_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_orders_pickup_village_id_villages'), 'villages', ['pickup_village_id'], ['id'])
    # Orders placed before: the place their first line's listing gives now (the closest we have).
    op.execute("""
        UPDATE orders SET
          pickup_point = COALESCE((SELECT l.pickup_point FROM order_items oi JOIN listings l ON l.id = oi.listing_id
                                   WHERE oi.order_id = orders.id ORDER BY oi.id LIMIT 1), ''),
          pickup_village_id = (SELECT l.village_id FROM order_items oi JOIN listings l ON l.id = oi.listing_id
                               WHERE oi.order_id = orders.id ORDER BY oi.id LIMIT 1)
        WHERE fulfilment = 'pickup'
    """)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_orders_pickup_village_id_villages'), type_='foreignkey')
        batch_op.drop_column('pickup_village_id')
        batch_op.drop_column('pickup_point')
