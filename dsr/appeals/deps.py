"""Load the appeal a path names (with the case it contests), or answer 404. Declare it after the
caller's principal, so an unauthorised caller learns nothing about which ids exist."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from dsr.appeals import service
from dsr.appeals.models import Appeal
from dsr.cases.models import Case
from dsr.deps import SessionDep


async def load_appeal(appeal_id: uuid.UUID, session: SessionDep) -> tuple[Appeal, Case]:
    return await service.load(session, appeal_id)


AppealDep = Annotated[tuple[Appeal, Case], Depends(load_appeal)]
