"""appeals

Revision ID: a99ea1000004
Revises: ca5e00000003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "a99ea1000004"
down_revision: str | None = "ca5e00000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("statutory", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("original_respond_by", sa.Date(), nullable=False),
        sa.Column("extended_respond_by", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("original_decider_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("reminder_sent_for", sa.Date(), nullable=True),
        sa.Column("escalation_sent_for", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_appeal_case_id_case_record")
        ),
        sa.ForeignKeyConstraint(
            ["original_decider_id"],
            ["staff_user.id"],
            name=op.f("fk_appeal_original_decider_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff_user.id"], name=op.f("fk_appeal_assignee_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["staff_user.id"], name=op.f("fk_appeal_decided_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal")),
    )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_appeal_queue", ["status", "respond_by", "id"], unique=False)
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("respond_by_override", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("respond_by_override")
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_queue")
        batch_op.drop_index(batch_op.f("ix_appeal_case_id"))
    op.drop_table("appeal")
