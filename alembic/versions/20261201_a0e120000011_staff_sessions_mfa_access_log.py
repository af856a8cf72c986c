"""server-side staff sessions, per-account login lockout, second factor, access log

Issue 12: console sessions revocable server-side (defect 2), failed logins counted per account
(defect 5), TOTP and recovery codes for staff (item 14), and every staff view of a case's
personal data logged (item 13).

Revision ID: a0e120000011
Revises: f0f1100000009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "a0e120000011"
down_revision: str | None = "f0f1100000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mfa_enabled_at", TS, nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("recovery_codes", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("staff_user") as batch:
        batch.alter_column("recovery_codes", server_default=None, existing_type=JSON)

    op.create_table(
        "staff_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_staff_session_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_staff_session_id_hash")),
    )
    with op.batch_alter_table("staff_session") as batch:
        batch.create_index(batch.f("ix_staff_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", TS, nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_login_throttle")),
    )

    op.create_table(
        "case_access",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("viewed_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_case_access_case_id_case_record")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_case_access_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_access")),
    )
    with op.batch_alter_table("case_access") as batch:
        batch.create_index("ix_case_access_case", ["case_id", "viewed_at"], unique=False)


def downgrade() -> None:
    op.drop_table("case_access")
    op.drop_table("login_throttle")
    op.drop_table("staff_session")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_last_step")
        batch.drop_column("mfa_enabled_at")
        batch.drop_column("totp_secret")
