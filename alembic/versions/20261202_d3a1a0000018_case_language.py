"""case_record.language: the requester's language, used for every later notice

Existing cases were all served in English: they get "en".

Revision ID: d3a1a0000018
Revises: c2a9e0000017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "d3a1a0000018"
down_revision: str | None = "c2a9e0000017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_record") as batch:
        batch.add_column(
            sa.Column("language", sa.String(8), nullable=False, server_default=sa.text("'en'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("case_record") as batch:
        batch.drop_column("language")
