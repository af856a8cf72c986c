"""case work: data systems, per-case tasks, reminder bookkeeping

Revision ID: ca5e00000003
Revises: 150bf9c9a33e
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "ca5e00000003"
down_revision: str | None = "150bf9c9a33e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "data_system",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_email", sa.String(length=254), nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("request_types", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_system")),
        sa.UniqueConstraint("name", name=op.f("uq_data_system_name")),
    )
    op.create_table(
        "case_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("data_system_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_case_task_case_id_case_record")
        ),
        sa.ForeignKeyConstraint(
            ["data_system_id"],
            ["data_system.id"],
            name=op.f("fk_case_task_data_system_id_data_system"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_task")),
        sa.UniqueConstraint("case_id", "data_system_id", name=op.f("uq_case_task_case_id")),
    )
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_task_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_sent_for", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("escalation_sent_for", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("escalation_sent_for")
        batch_op.drop_column("reminder_sent_for")
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_task_case_id"))
    op.drop_table("case_task")
    op.drop_table("data_system")
