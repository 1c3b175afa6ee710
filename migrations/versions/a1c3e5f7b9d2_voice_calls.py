"""Voice calls: the language each number chose, the audio of the prompts (generated or recorded), the call-backs made for missed calls, and voice messages (waiting to be fetched; kept with the reports they were left for).

Revision ID: a1c3e5f7b9d2
Revises: f7b9d1e3a5c7
"""
import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f7b9d2"
down_revision = "f7b9d1e3a5c7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "caller_languages",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=12), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name="pk_caller_languages"),
    )
    op.create_table(
        "voice_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=12), nullable=False),
        sa.Column("text_sha", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("media_key", sa.String(length=120), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name="fk_voice_prompts_recorded_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_voice_prompts"),
        sa.UniqueConstraint("locale", "text_sha", "source", name="uq_voice_prompts_locale_text_source"),
    )
    op.create_table(
        "call_backs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("called_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gateway_session", sa.String(length=64), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_backs"),
    )
    op.create_index("ix_call_backs_phone", "call_backs", ["phone"])
    op.create_index("ix_call_backs_asked_at", "call_backs", ["asked_at"])
    op.create_table(
        "voice_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("recording_url", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_voice_messages_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_voice_messages"),
    )
    op.create_index("ix_voice_messages_user_id", "voice_messages", ["user_id"])
    op.create_index("ix_voice_messages_status", "voice_messages", ["status"])
    op.create_table(
        "report_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name="fk_report_recordings_report_id_reports", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name="fk_report_recordings_recorded_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_report_recordings"),
    )
    op.create_index("ix_report_recordings_report_id", "report_recordings", ["report_id"])


def downgrade():
    op.drop_index("ix_report_recordings_report_id", table_name="report_recordings")
    op.drop_table("report_recordings")
    op.drop_index("ix_voice_messages_status", table_name="voice_messages")
    op.drop_index("ix_voice_messages_user_id", table_name="voice_messages")
    op.drop_table("voice_messages")
    op.drop_index("ix_call_backs_asked_at", table_name="call_backs")
    op.drop_index("ix_call_backs_phone", table_name="call_backs")
    op.drop_table("call_backs")
    op.drop_table("voice_prompts")
    op.drop_table("caller_languages")
