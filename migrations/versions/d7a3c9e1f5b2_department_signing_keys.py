"""Departments' keys for certificates checked without a network.

Revision ID: d7a3c9e1f5b2
Revises: c4e8a1f0b2d7
"""
import sqlalchemy as sa
from alembic import op

revision = "d7a3c9e1f5b2"
down_revision = "c4e8a1f0b2d7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )
    op.create_index("ix_signing_keys_department_id", "signing_keys", ["department_id"])


def downgrade():
    op.drop_index("ix_signing_keys_department_id", table_name="signing_keys")
    op.drop_table("signing_keys")
