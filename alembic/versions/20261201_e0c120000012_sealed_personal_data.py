"""encrypt requester personal data at rest, keyed look-up hashes, redactable timeline texts

Personal data columns become TEXT holding AES-256-GCM sealed values (dsr.db.sealed_columns);
case_record.email_sha256 (a plain hash anyone can test addresses against) gives way to
email_hash, an HMAC under a key derived from DSR_ENCRYPTION_KEYS. Timeline events hash a salted
digest of their texts instead of the texts, so retention can erase the texts and the chain still
verifies.

Existing rows are converted here, in one transaction with the schema change: no release runs
with half-sealed tables, and a failure leaves the database as it was. The keys are the ones the
running dsr would use (the engine's keyring, from DSR_ENCRYPTION_KEYS or var/encryption_key as
Settings reads them). A timeline is re-chained under the new rule only if it verifies under the
old one and ends where its case says: a chain that was already broken keeps its old hashes, so
`dsr audit verify` still reports it.

Revision ID: e0c120000012
Revises: f0f1100000009
Create Date: 2026-12-01
"""

import hashlib
import json
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op
from dsr.db.sealed_columns import email_lookup_key, keyring_of, lookup_hash, seal
from dsr.db.types import UTCDateTime
from dsr.domain.events import GENESIS_HASH, canonical_json, event_hash

revision: str = "e0c120000012"
down_revision: str | None = "a0e120000011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
TEXT_COLUMNS = {
    "case_record": ["email", "full_name", "account_id", "details", "decision_explanation"],
    "appeal": ["reason", "explanation"],
    "output_suppression": ["personal_data"],
    "outbox_message": ["recipient"],
    "case_task": ["note"],
}
JSON_COLUMNS = {"case_record": ["type_data"], "outbox_message": ["context"]}


def _to_text(table: str, column: str, existing: Any, nullable: bool) -> None:
    with op.batch_alter_table(table) as batch:
        batch.alter_column(
            column,
            type_=sa.Text(),
            existing_type=existing,
            existing_nullable=nullable,
            postgresql_using=f"{column}::text",
        )


def _schema() -> None:
    with op.batch_alter_table("case_record") as batch:
        batch.add_column(sa.Column("email_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_index("ix_case_record_subject")
    for column, length, nullable in (("email", 254, False), ("full_name", 200, False)):
        _to_text("case_record", column, sa.String(length), nullable)
    _to_text("case_record", "account_id", sa.String(200), True)
    _to_text("case_record", "type_data", sa.JSON(), True)
    _to_text("outbox_message", "recipient", sa.String(254), False)
    _to_text("outbox_message", "context", sa.JSON(), False)
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    _to_text("case_event", "data", sa.JSON(), False)
    with op.batch_alter_table("case_event") as batch:
        batch.add_column(sa.Column("body_digest", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_salt", sa.Text(), nullable=True))
        batch.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))


def upgrade() -> None:
    _schema()
    conn = op.get_bind()
    keyring = keyring_of(conn.dialect)
    for table in ("case_record", "appeal", "output_suppression", "outbox_message", "case_task"):
        _seal_table(conn, keyring, table)
    _rechain(conn, keyring)
    with op.batch_alter_table("case_record") as batch:
        batch.drop_column("email_sha256")
        batch.create_index("ix_case_record_subject", ["email_hash", "type", "status"])
    with op.batch_alter_table("case_event") as batch:
        batch.alter_column("body_digest", server_default=None)


def _seal_table(conn: sa.Connection, keyring: Any, name: str) -> None:
    texts, jsons = TEXT_COLUMNS.get(name, []), JSON_COLUMNS.get(name, [])
    cols = [*texts, *jsons]
    extra = [sa.column("email_hash")] if name == "case_record" else []
    table = sa.table(name, sa.column("id"), *(sa.column(c, sa.Text()) for c in cols), *extra)
    last = None
    while True:
        stmt = sa.select(table).order_by(table.c.id).limit(BATCH)
        if last is not None:
            stmt = stmt.where(table.c.id > last)
        rows = conn.execute(stmt).mappings().all()
        if not rows:
            return
        for row in rows:
            values: dict[str, Any] = {}
            for c in cols:
                value = row[c]
                if value is not None:
                    values[c] = seal(keyring, f"{name}.{c}", value.encode())
            if name == "case_record":
                values["email_hash"] = lookup_hash(keyring, email_lookup_key(row["email"]))
            conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
        last = rows[-1]["id"]


_EVENT = sa.table(
    "case_event",
    sa.column("id"),
    sa.column("case_id", sa.Uuid()),
    sa.column("seq"),
    sa.column("at", UTCDateTime()),
    sa.column("actor_kind"),
    sa.column("actor_id"),
    sa.column("action"),
    sa.column("from_status"),
    sa.column("to_status"),
    sa.column("reason", sa.Text()),
    sa.column("data", sa.Text()),
    sa.column("body_digest"),
    sa.column("body_salt"),
    sa.column("prev_hash"),
    sa.column("hash"),
)
_CASE = sa.table(
    "case_record",
    sa.column("id", sa.Uuid()),
    sa.column("timeline_seq"),
    sa.column("timeline_head"),
)


def _header(ev: Any) -> dict[str, Any]:
    return {
        "case_id": str(ev["case_id"]),
        "seq": ev["seq"],
        "at": ev["at"].isoformat(),
        "actor_kind": ev["actor_kind"],
        "actor_id": ev["actor_id"],
        "action": ev["action"],
        "from_status": ev["from_status"],
        "to_status": ev["to_status"],
    }


def _rechain(conn: sa.Connection, keyring: Any) -> None:
    last = None
    while True:
        stmt = sa.select(_CASE).order_by(_CASE.c.id).limit(BATCH)
        if last is not None:
            stmt = stmt.where(_CASE.c.id > last)
        cases = conn.execute(stmt).mappings().all()
        if not cases:
            return
        for case in cases:
            _rechain_case(conn, keyring, case)
        last = cases[-1]["id"]


def _rechain_case(conn: sa.Connection, keyring: Any, case: Any) -> None:
    stmt = sa.select(_EVENT).where(_EVENT.c.case_id == case["id"]).order_by(_EVENT.c.seq)
    events = conn.execute(stmt).mappings().all()
    prev, intact = GENESIS_HASH, True
    for i, ev in enumerate(events):
        data = json.loads(ev["data"])
        legacy = {**_header(ev), "reason": ev["reason"], "data": data}
        if ev["seq"] != i + 1 or ev["prev_hash"] != prev or event_hash(prev, legacy) != ev["hash"]:
            intact = False
            break
        prev = ev["hash"]
    if events and (case["timeline_seq"] != events[-1]["seq"] or case["timeline_head"] != prev):
        intact = False
    prev = GENESIS_HASH
    for ev in events:
        values: dict[str, Any] = {
            "data": seal(keyring, "case_event.data", ev["data"].encode()),
            "reason": None
            if ev["reason"] is None
            else seal(keyring, "case_event.reason", ev["reason"].encode()),
        }
        if intact:
            salt = secrets.token_hex(16)
            body = canonical_json({"reason": ev["reason"], "data": json.loads(ev["data"])})
            digest = hashlib.sha256((salt + body).encode("utf-8")).hexdigest()
            new_hash = event_hash(prev, {**_header(ev), "body": digest})
            values |= {
                "body_salt": seal(keyring, "case_event.body_salt", salt.encode()),
                "body_digest": digest,
                "prev_hash": prev,
                "hash": new_hash,
            }
            prev = new_hash
        conn.execute(sa.update(_EVENT).where(_EVENT.c.id == ev["id"]).values(**values))
    if intact and events:
        conn.execute(sa.update(_CASE).where(_CASE.c.id == case["id"]).values(timeline_head=prev))


def downgrade() -> None:
    raise NotImplementedError(
        "personal data is sealed from e0c120000012 on: restore the backup taken before upgrading"
    )
