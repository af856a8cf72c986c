"""Data Rights Protocol: registered agents, their pair-wise tokens (hashed), DRP requests

Revision ID: b1d2a0000016
Revises: a9e110000014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "b1d2a0000016"
down_revision: str | None = "a9e110000014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drp_agent",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("verify_key", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drp_agent")),
    )
    op.create_table(
        "drp_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("setup_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["drp_agent.id"], name=op.f("fk_drp_token_agent_id_drp_agent")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_drp_token")),
        sa.UniqueConstraint("setup_hash", name=op.f("uq_drp_token_setup_hash")),
    )
    op.create_index(op.f("ix_drp_token_agent_id"), "drp_token", ["agent_id"])
    op.create_table(
        "drp_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("message_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_request_id", sa.String(length=200), nullable=True),
        sa.Column("exercise", sa.String(length=40), nullable=False),
        sa.Column("regime", sa.String(length=40), nullable=True),
        sa.Column("status_callback", sa.String(length=2000), nullable=True),
        sa.Column("claims", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["drp_agent.id"], name=op.f("fk_drp_request_agent_id_drp_agent")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_drp_request_case_id_case_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drp_request")),
        sa.UniqueConstraint("case_id", name=op.f("uq_drp_request_case_id")),
        sa.UniqueConstraint("message_hash", name=op.f("uq_drp_request_message_hash")),
    )
    op.create_index(op.f("ix_drp_request_agent_id"), "drp_request", ["agent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drp_request_agent_id"), table_name="drp_request")
    op.drop_table("drp_request")
    op.drop_index(op.f("ix_drp_token_agent_id"), table_name="drp_token")
    op.drop_table("drp_token")
    op.drop_table("drp_agent")
