"""consent ledger, exclusions, training change feed, output suppressions

Revision ID: c0a5e0000002
Revises: a99ea1000004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "c0a5e0000002"
down_revision: str | None = "a99ea1000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
# Subject keys compare byte by byte: collation "C" on PostgreSQL (SQLite compares bytes anyway).
SUBJECT = sa.String(length=241, collation="C").with_variant(sa.String(length=241), "sqlite")


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("subject", SUBJECT, nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_record_lookup",
            ["subject", "category", "purpose", "recorded_at", "id"],
            unique=False,
            postgresql_include=["received_at", "granted"],
        )

    op.create_table(
        "exclusion",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("subject", SUBJECT, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_exclusion_case_id_case_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion")),
    )
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exclusion_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_exclusion_subject", ["subject", "id"], unique=False)

    op.create_table(
        "training_change",
        sa.Column("id", BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("subject", sa.String(length=241), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=True),
        sa.Column("exclusion", sa.String(length=12), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_change")),
    )

    op.create_table(
        "output_suppression",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("personal_data", sa.Text(), nullable=False),
        sa.Column("models", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("seq", BIGINT_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_record.id"],
            name=op.f("fk_output_suppression_case_id_case_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_output_suppression")),
        sa.UniqueConstraint("case_id", name=op.f("uq_output_suppression_case_id")),
        sa.UniqueConstraint("seq", name=op.f("uq_output_suppression_seq")),
    )


def downgrade() -> None:
    op.drop_table("output_suppression")
    op.drop_table("training_change")
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.drop_index("ix_exclusion_subject")
        batch_op.drop_index(batch_op.f("ix_exclusion_case_id"))
    op.drop_table("exclusion")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_record_lookup")
    op.drop_table("consent_record")
