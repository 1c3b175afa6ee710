"""Open311: the API keys admins issue to partner apps; reports' optional exact location.

Revision ID: e2b4d6f8a1c3
Revises: d7a3c9e1f5b2
"""
import sqlalchemy as sa
from alembic import op

revision = "e2b4d6f8a1c3"
down_revision = "d7a3c9e1f5b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_name", sa.String(length=120), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_partner_keys_account_id", "partner_keys", ["account_id"])
    op.add_column("reports", sa.Column("latitude", sa.Double(), nullable=True))
    op.add_column("reports", sa.Column("longitude", sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
    op.drop_index("ix_partner_keys_account_id", table_name="partner_keys")
    op.drop_table("partner_keys")
