"""mobile payouts pay back payers too: farmer_id becomes payee_id, and a refund names its payment

Revision ID: 5b7e1c2d9f40
Revises: 114d174d152a
Create Date: 2026-12-03 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e1c2d9f40'
down_revision = '114d174d152a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mobile_payouts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_mobile_payouts_farmer_id', type_='unique')
        batch_op.drop_constraint('fk_mobile_payouts_farmer_id_users', type_='foreignkey')
        batch_op.drop_index('ix_mobile_payouts_farmer_id')
        batch_op.alter_column('farmer_id', new_column_name='payee_id', existing_type=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('mobile_payouts', schema=None) as batch_op:  # the renamed column exists from here on
        batch_op.create_foreign_key(batch_op.f('fk_mobile_payouts_payee_id_users'), 'users', ['payee_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_mobile_payouts_payee_id'), ['payee_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_mobile_payouts_payee_id'), ['payee_id', 'reference'])
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_mobile_payouts_payment_id_payments'), 'payments', ['payment_id'], ['id'])


def downgrade():
    # Refunds already sent to payers stay (money moved; movements and checks name them): their payer
    # is then in farmer_id, as the older code cannot tell them apart.
    with op.batch_alter_table('mobile_payouts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mobile_payouts_payment_id_payments'), type_='foreignkey')
        batch_op.drop_column('payment_id')
        batch_op.drop_constraint(batch_op.f('uq_mobile_payouts_payee_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_mobile_payouts_payee_id'))
        batch_op.drop_constraint(batch_op.f('fk_mobile_payouts_payee_id_users'), type_='foreignkey')
        batch_op.alter_column('payee_id', new_column_name='farmer_id', existing_type=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('mobile_payouts', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_mobile_payouts_farmer_id_users', 'users', ['farmer_id'], ['id'])
        batch_op.create_index('ix_mobile_payouts_farmer_id', ['farmer_id'], unique=False)
        batch_op.create_unique_constraint('uq_mobile_payouts_farmer_id', ['farmer_id', 'reference'])
