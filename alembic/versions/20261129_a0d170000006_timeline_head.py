"""timeline head on the case: the seq and hash of its last event, so that dsr audit verify
detects events cut off the end of a timeline (the hash chain alone cannot)

Revision ID: a0d170000006
Revises: be0c00000005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "a0d170000006"
down_revision: str | None = "be0c00000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timeline_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("timeline_head", sa.String(length=64), nullable=True))
    # Existing timelines: anchor them where they end now (the chain itself is checked as before).
    op.execute(
        """
        UPDATE case_record SET
          timeline_seq = COALESCE(
            (SELECT MAX(e.seq) FROM case_event e WHERE e.case_id = case_record.id), 0),
          timeline_head = (
            SELECT e.hash FROM case_event e WHERE e.case_id = case_record.id
            ORDER BY e.seq DESC LIMIT 1)
        """
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.alter_column("timeline_seq", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("timeline_head")
        batch_op.drop_column("timeline_seq")
