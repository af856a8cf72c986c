"""fulfilment: data-system integrations, results, access packages, task links

Revision ID: f0f1100000007
Revises: a0d170000006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "f0f1100000007"
down_revision: str | None = "a0d170000006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_package",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("max_downloads", sa.Integer(), nullable=False),
        sa.Column("erased_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_access_package_case_id_case_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_package")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_package_token_hash")),
    )
    with op.batch_alter_table("access_package", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_package_case_id"), ["case_id"], unique=False)

    op.create_table(
        "task_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["case_task.id"], name=op.f("fk_task_link_task_id_case_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_task_link_token_hash")),
    )
    with op.batch_alter_table("task_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_link_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_result",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("erased_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["case_task.id"], name=op.f("fk_task_result_task_id_case_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_result")),
    )
    with op.batch_alter_table("task_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_result_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_system_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_token_data_system_id_data_system"),
            "data_system",
            ["data_system_id"],
            ["id"],
        )

    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records_affected", sa.Integer(), nullable=True))

    with op.batch_alter_table("data_system", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("integration", sa.String(length=10), nullable=False, server_default="manual")
        )
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("signing_secret", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("identities", JSON, nullable=False, server_default='["email", "account_id"]')
        )
        batch_op.add_column(sa.Column("purposes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("recipients", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retention", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))

    # Existing rows got their defaults; new rows get them from the application.
    with op.batch_alter_table("data_system", schema=None) as batch_op:
        batch_op.alter_column("integration", server_default=None)
        batch_op.alter_column("identities", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("data_system", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("retention")
        batch_op.drop_column("recipients")
        batch_op.drop_column("purposes")
        batch_op.drop_column("identities")
        batch_op.drop_column("signing_secret")
        batch_op.drop_column("webhook_url")
        batch_op.drop_column("integration")

    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.drop_column("records_affected")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_token_data_system_id_data_system"), type_="foreignkey"
        )
        batch_op.drop_column("data_system_id")

    with op.batch_alter_table("task_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_result_task_id"))

    op.drop_table("task_result")
    with op.batch_alter_table("task_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_link_task_id"))

    op.drop_table("task_link")
    with op.batch_alter_table("access_package", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_package_case_id"))

    op.drop_table("access_package")
