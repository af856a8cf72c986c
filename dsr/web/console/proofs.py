"""Staff download of an authorized agent's signed permission (dsr.cases.proofs). Every
download is a view of personal data, so it is in the case's access log, logged in the same
transaction that reads the file."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from dsr.cases import access_log, proofs, repository
from dsr.cases.proof_models import AgentProof
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.errors import CASE_NOT_FOUND, NotFound
from dsr.web.console.session import ConsoleUser

router = APIRouter()


@router.get("/cases/{case_id}/agent-proofs/{proof_id}")
async def download_proof(
    case_id: uuid.UUID,
    proof_id: uuid.UUID,
    principal: ConsoleUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    case = await repository.get(session, case_id)
    if case is None:
        raise NotFound("There is no case with that id.", code=CASE_NOT_FOUND)
    found = list(await proofs.proofs_of(session, case_id))
    proof: AgentProof | None = next((p for p in found if p.id == proof_id), None)
    if proof is None:
        raise NotFound("This case has no such file.")
    data = proofs.read(settings, proof)  # 409 once retention erased it
    await access_log.record(
        session, principal=principal, case_ids=[case.id], kind="console_agent_proof", now=utcnow()
    )
    name = proofs.filename(case, proof, found.index(proof) + 1)
    return Response(
        data,
        media_type=proof.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
