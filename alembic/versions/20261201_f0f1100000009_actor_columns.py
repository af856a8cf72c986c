"""widen case_event.actor_id and case_task.closed_by to hold any token or data-system name

A task closed on its page is recorded as done by "owner of NAME" (up to 109 characters) and a
service token's name (up to 200) is recorded as who closed a task and who acted: the columns were
64 and 100, so such input was accepted and then failed as a 500 (issue 12, defect 6).

Revision ID: f0f1100000009
Revises: f0f1100000008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "f0f1100000009"
down_revision: str | None = "f0f1100000008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_event") as batch:
        batch.alter_column("actor_id", type_=sa.String(200), existing_type=sa.String(64))
    with op.batch_alter_table("case_task") as batch:
        batch.alter_column("closed_by", type_=sa.String(200), existing_type=sa.String(100))


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.alter_column("closed_by", type_=sa.String(100), existing_type=sa.String(200))
    with op.batch_alter_table("case_event") as batch:
        batch.alter_column("actor_id", type_=sa.String(64), existing_type=sa.String(200))
