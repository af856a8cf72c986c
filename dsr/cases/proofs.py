"""The signed permission an authorized agent uploads for a consumer (11 CCR 7063 [U];
docs/legal.md §1.10; README, "Authorized agents").

The agent's capability (a `proof` case token, e-mailed to the agent on submission and returned by
`POST /api/v1/requests`) lets them add files to the case and nothing else: it reads no personal
data, so it may reach the agent alone. Files are PDF, PNG or JPEG, told by their first bytes (a
declared type the bytes contradict is refused), at most DSR_MAX_PROOF_BYTES each, sealed with
the keyring like task results and erased by retention with the case. Services never commit."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import timeline, tokens
from dsr.cases.models import Case, CaseToken
from dsr.cases.proof_models import AgentProof
from dsr.credentials import derive_case_token
from dsr.domain.vocabulary import ACTIVE_STATUSES, CaseStatus
from dsr.errors import Conflict, InvalidLink, PayloadTooLarge, UnsupportedMediaType
from dsr.fulfilment import files
from dsr.settings import Settings

PURPOSE = "proof"
UPLOADED = "agent_proof_uploaded"  # a timeline fact, not a transition
AGENT = "agent"  # the timeline's actor kind for what the agent did through their link
MAX_FILES = 5  # per case: enough for a letter in a few pages, not a free file store
# How each accepted type starts; the bytes decide, the declared type must agree.
MAGIC: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
# Uploads are taken while the case waits for the consumer and while it is worked on.
OPEN_TO_UPLOADS = frozenset({CaseStatus.PENDING_VERIFICATION, *ACTIVE_STATUSES})


def new_upload_token(settings: Settings, case: Case, now: datetime) -> CaseToken:
    return tokens.new_token(
        settings, case.id, PURPOSE, now, timedelta(days=settings.agent_proof_ttl_days)
    )


def token_value(settings: Settings, token_id: uuid.UUID) -> str:
    """The capability itself, derived again from the row's id (only its hash is stored)."""
    return derive_case_token(settings.secret_key, token_id, PURPOSE)


async def upload_token_id(session: AsyncSession, case_id: uuid.UUID) -> uuid.UUID | None:
    stmt = (
        select(CaseToken.id)
        .where(CaseToken.case_id == case_id, CaseToken.purpose == PURPOSE)
        .order_by(col(CaseToken.created_at).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def open_case(session: AsyncSession, case_id: uuid.UUID, token: str, now: datetime) -> Case:
    """The case a valid upload link names. 404 (InvalidLink) for a wrong or expired token."""
    row = await tokens.find(session, case_id, PURPOSE, token)
    if row is None or row.expires_at <= now:
        raise InvalidLink()
    case = await session.get(Case, case_id)
    if case is None or case.redacted_at is not None:
        raise InvalidLink()
    return case


def sniff(data: bytes, declared: str | None) -> str:
    """The file's type from its first bytes. 415 unless it is PDF, PNG or JPEG, and when the
    declared type (if any, and not the generic octet-stream) names another."""
    found = next((kind for kind, magic in MAGIC.items() if data.startswith(magic)), None)
    if found is None:
        raise UnsupportedMediaType("file: send the signed permission as PDF, PNG or JPEG")
    kind = (declared or "").split(";", 1)[0].strip().lower()
    if kind and kind != "application/octet-stream" and kind != found:
        raise UnsupportedMediaType(f"file: the contents are {found}, not {kind}")
    return found


async def store(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: uuid.UUID,
    data: bytes,
    declared: str | None,
    now: datetime,
) -> AgentProof:
    """Store one file for the case. 413 past DSR_MAX_PROOF_BYTES, 415 for another type, 409
    once the case is closed or holds MAX_FILES."""
    if len(data) > settings.max_proof_bytes:
        raise PayloadTooLarge(
            f"file: the signed permission may be {settings.max_proof_bytes} bytes"
        )
    kind = sniff(data, declared)
    case = await session.get(Case, case_id, with_for_update=True)
    if case is None or case.status not in OPEN_TO_UPLOADS:
        raise Conflict("this request is closed: it takes no more files")
    if len(await proofs_of(session, case_id)) >= MAX_FILES:
        raise Conflict(f"this request holds {MAX_FILES} files already")
    proof = AgentProof(
        case_id=case_id,
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
    )
    sealed = settings.keyring.encrypt(data, proof.id.bytes)
    if settings.storage_dir is None:
        proof.blob = sealed
    else:
        proof.path = f"proofs/{proof.id}"
        target = settings.storage_dir / proof.path
        target.parent.mkdir(parents=True, exist_ok=True)
        files.written(session, target)  # an upload that rolls back leaves no file behind
        target.write_bytes(sealed)
    session.add(proof)
    await timeline.record(
        session,
        case,
        at=now,
        actor_kind=AGENT,
        actor_id=None,
        action=UPLOADED,
        data={"content_type": kind, "size": len(data), "sha256": proof.sha256},
    )
    await session.flush()
    return proof


async def proofs_of(session: AsyncSession, case_id: uuid.UUID) -> Sequence[AgentProof]:
    stmt = (
        select(AgentProof)
        .where(AgentProof.case_id == case_id)
        .order_by(col(AgentProof.created_at), col(AgentProof.id))
    )
    return (await session.exec(stmt)).all()


def read(settings: Settings, proof: AgentProof) -> bytes:
    """The plaintext. 409 once retention erased it."""
    return files.open_sealed(settings, proof, "file")


async def erase(
    session: AsyncSession, *, settings: Settings, case_id: uuid.UUID, now: datetime
) -> int:
    """Erase the case's files (retention), keeping size and SHA-256; how many went now."""
    erased = 0
    for proof in await proofs_of(session, case_id):
        if proof.erased_at is not None:
            continue
        if proof.path is not None and settings.storage_dir is not None:
            files.delete_after_commit(session, settings.storage_dir / proof.path)
        proof.blob, proof.path, proof.erased_at = None, None, now
        erased += 1
    await session.flush()
    return erased


def filename(case: Case, proof: AgentProof, number: int) -> str:
    """A download name that names no person: the reference and the file's place."""
    return f"{case.reference}-agent-proof-{number}.{EXTENSIONS.get(proof.content_type, 'bin')}"
