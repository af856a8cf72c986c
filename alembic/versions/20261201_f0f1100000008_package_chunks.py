"""access packages kept in the database in sealed pieces

Revision ID: f0f1100000008
Revises: f0f1100000007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "f0f1100000008"
down_revision: str | None = "f0f1100000007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_package_chunk",
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["access_package.id"],
            name=op.f("fk_access_package_chunk_package_id_access_package"),
        ),
        sa.PrimaryKeyConstraint("package_id", "seq", name=op.f("pk_access_package_chunk")),
    )


def downgrade() -> None:
    op.drop_table("access_package_chunk")
