"""agents and opt-outs: the opt_out ledger (GPC signals and opt_out requests); the agent who
submitted a case (name, e-mail, kind)

Revision ID: a9e110000014
Revises: f0f1100000009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "a9e110000014"
down_revision: str | None = "d0a5b0000015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
SUBJECT = sa.String(length=241, collation="C").with_variant(sa.String(length=241), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("agent_email", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("agent_kind", sa.String(length=20), nullable=True))
    op.create_table(
        "opt_out",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("subject", SUBJECT, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("observed_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("lifted_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_opt_out_case_id_case_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_out")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_opt_out_dedup_key")),
    )
    with op.batch_alter_table("opt_out", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opt_out_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_opt_out_subject", ["subject", "recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opt_out", schema=None) as batch_op:
        batch_op.drop_index("ix_opt_out_subject")
        batch_op.drop_index(batch_op.f("ix_opt_out_case_id"))
    op.drop_table("opt_out")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("agent_kind")
        batch_op.drop_column("agent_email")
        batch_op.drop_column("agent_name")
