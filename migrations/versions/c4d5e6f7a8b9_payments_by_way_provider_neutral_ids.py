"""payments by way: provider-neutral ids (a Stripe PaymentIntent or an M-Pesa CheckoutRequestID), the payer's phone

Revision ID: c4d5e6f7a8b9
Revises: b3c1d2e4f5a6
Create Date: 2026-12-03 15:30:00

Expand-and-rename in one step is safe here: the app servers of the previous release read
`stripe_payment_intent_id`, so deploy this with the release that reads the new names (docs/deploy.md).
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4d5e6f7a8b9'
down_revision = 'b3c1d2e4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_payments_stripe_payment_intent_id', type_='unique')
        batch_op.alter_column('stripe_payment_intent_id', new_column_name='provider_intent_id',
                              existing_type=sa.String(length=255), existing_nullable=True)
        batch_op.alter_column('stripe_charge_id', new_column_name='provider_charge_id',
                              existing_type=sa.String(length=255), existing_nullable=True)
        batch_op.add_column(sa.Column('way', sa.String(length=20), server_default='card', nullable=False))
        batch_op.add_column(sa.Column('payer_phone', sa.String(length=20), server_default='', nullable=False))
    # A batch of its own: SQLite's copy-and-move applies a constraint on a renamed column only after the rename.
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_payments_provider_intent_id'), ['provider_intent_id'])


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payments_provider_intent_id'), type_='unique')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('payer_phone')
        batch_op.drop_column('way')
        batch_op.alter_column('provider_charge_id', new_column_name='stripe_charge_id',
                              existing_type=sa.String(length=255), existing_nullable=True)
        batch_op.alter_column('provider_intent_id', new_column_name='stripe_payment_intent_id',
                              existing_type=sa.String(length=255), existing_nullable=True)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_payments_stripe_payment_intent_id', ['stripe_payment_intent_id'])
