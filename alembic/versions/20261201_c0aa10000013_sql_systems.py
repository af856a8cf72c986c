"""sql data systems: the dataset and the name of the variable holding the database URL; a task's
last error (what failed the last time dsr carried it out itself, shown to staff)

The URL itself is never stored: only the name of the environment variable that holds it.

Revision ID: c0aa10000013
Revises: f0f1100000009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "c0aa10000013"
down_revision: str | None = "e0c120000012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_system") as batch:
        batch.add_column(sa.Column("connection_env", sa.String(100), nullable=True))
        batch.add_column(sa.Column("dataset", sa.Text(), nullable=True))
    with op.batch_alter_table("case_task") as batch:
        batch.add_column(sa.Column("last_error", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.drop_column("last_error")
    with op.batch_alter_table("data_system") as batch:
        batch.drop_column("dataset")
        batch.drop_column("connection_env")
