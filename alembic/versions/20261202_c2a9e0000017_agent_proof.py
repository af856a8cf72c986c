"""agent proof: the signed permission an authorized agent uploads, sealed at rest

Revision ID: c2a9e0000017
Revises: b1d2a0000016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "c2a9e0000017"
down_revision: str | None = "b1d2a0000016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agent_proof",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("erased_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_agent_proof_case_id_case_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_proof")),
    )
    with op.batch_alter_table("agent_proof", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_proof_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_proof", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_proof_case_id"))
    op.drop_table("agent_proof")
