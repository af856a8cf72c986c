"""index the outbox's delivery problems (failed, or being retried) by case

The staff console counts the cases with a delivery problem on every page and the queue filters by
them (issue 14, item 1): a partial index holds only those few messages.

Revision ID: e4d0e0000020
Revises: d3a1a0000018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "e4d0e0000020"
down_revision: str | None = "d3a1a0000018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROBLEM = "status = 'failed' OR (status = 'pending' AND attempts > 0)"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_message_problem",
        "outbox_message",
        ["case_id"],
        sqlite_where=sa.text(PROBLEM),
        postgresql_where=sa.text(PROBLEM),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_message_problem", table_name="outbox_message")
