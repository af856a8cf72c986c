"""reports: the record of request-log exports, and indexes for the yearly metrics and the
dashboard (issue 13)

Revision ID: d0a5b0000015
Revises: f0f1100000009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "d0a5b0000015"
down_revision: str | None = "c0aa10000013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_export",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("include_contact", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_report_export_actor_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_export")),
    )
    # The metrics of a year and the request log read a range of receipt dates (in order, by id,
    # for the log's keyset batches); the dashboard's on-time rate reads a range of decisions. On
    # PostgreSQL each carries the columns those reports read (INCLUDE), so they are index-only
    # scans rather than reads of wide case rows (bench/reports.py). SQLite ignores INCLUDE.
    op.create_index(
        "ix_case_record_received",
        "case_record",
        ["received_date", "id"],
        postgresql_include=["type", "status", "jurisdiction", "decided_at", "decision_reason_code"],
    )
    op.create_index(
        "ix_case_record_decided",
        "case_record",
        ["decided_at"],
        postgresql_include=["received_date", "respond_by", "type", "jurisdiction"],
    )


def downgrade() -> None:
    op.drop_index("ix_case_record_decided", table_name="case_record")
    op.drop_index("ix_case_record_received", table_name="case_record")
    op.drop_table("report_export")
