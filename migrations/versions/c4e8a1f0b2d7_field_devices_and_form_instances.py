"""Field devices sign in with their own tokens; a filled form's instance id is stored once.

Revision ID: c4e8a1f0b2d7
Revises: 5b7e1c2d9f40
"""
import sqlalchemy as sa
from alembic import op

revision = "c4e8a1f0b2d7"
down_revision = "5b7e1c2d9f40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "device_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_device_tokens_user_id", "device_tokens", ["user_id"])
    op.add_column("submissions", sa.Column("instance_id", sa.String(length=100), nullable=True))
    op.create_index("ix_submissions_instance_id", "submissions", ["instance_id"], unique=True)


def downgrade():
    op.drop_index("ix_submissions_instance_id", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("instance_id")
    op.drop_index("ix_device_tokens_user_id", table_name="device_tokens")
    op.drop_table("device_tokens")
