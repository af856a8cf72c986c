"""Exclusions from requests (README, "Training eligibility"): the hooks the case workflow calls in the same
transaction as the transition. Services never commit.

    verified   (deletion, objection, output_removal) -> provisional exclusion of the subject's keys
    fulfilled                                        -> permanent; output removal publishes its
                                                        suppression rule
    denied as identity_not_verified, or withdrawn    -> lifted; the suppression rule withdrawn

An exclusion is recorded per subject key and case: a subject stays excluded while any of its
requests holds an unlifted exclusion. Every hook is idempotent, so calling one twice (a retried
transition) records nothing new. Denials for any other reason keep the exclusion: the person's
objection was verified, and only an unverifiable or withdrawn request lifts it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.consent import ledger
from dsr.consent import repository as repo
from dsr.consent import suppression_repository as suppressions
from dsr.domain.eligibility import (
    ACTIVE_EXCLUSIONS,
    EMAIL_PREFIX,
    ExclusionKind,
    email_sha256,
    excluded_subjects,
    subject_problem,
)

log = logging.getLogger("dsr.consent")

EXCLUDING_TYPES = frozenset({"deletion", "objection", "output_removal"})
LIFTING_REASONS = frozenset({"identity_not_verified", "withdrawn"})


def subject_keys(case: Case) -> list[str]:
    """The keys a verified request links its subject to: account:<id> if given, and the hash of
    the verified e-mail address. An account id that cannot be a key (it has spaces, say: the
    requester mistyped it) is left out, since no pipeline can ask about it; the e-mail key still
    covers the person, and staff can correct the account id."""
    keys = []
    account = (case.account_id or "").strip()
    if account:
        if subject_problem(f"account:{account}") is None:
            keys.append(f"account:{account}")
        else:
            log.warning("case %s: account id is not a valid subject key; not excluded", case.id)
    keys.append(EMAIL_PREFIX + email_sha256(case.email))
    return keys


async def _record(
    session: AsyncSession, case: Case, kind: ExclusionKind, reason: str | None
) -> datetime | None:
    """Move each of the case's keys to `kind` where the transition applies; returns the ledger
    time of the change, or None when nothing changed."""
    at = await ledger.lock_for_write(session)
    latest = {f.subject: f.kind for f in await repo.exclusions_of_case(session, case.id)}
    keys = list(dict.fromkeys([*subject_keys(case), *latest]))
    if kind is ExclusionKind.PROVISIONAL:
        moving = [k for k in keys if latest.get(k) not in ACTIVE_EXCLUSIONS]
    elif kind is ExclusionKind.PERMANENT:
        moving = [k for k in keys if latest.get(k) != ExclusionKind.PERMANENT]
    else:
        moving = [k for k in keys if latest.get(k) in ACTIVE_EXCLUSIONS]
    if not moving:
        return None
    await repo.append_exclusions(
        session,
        [
            {"subject": k, "case_id": case.id, "kind": kind.value, "at": at, "reason": reason}
            for k in moving
        ],
    )
    still = excluded_subjects(await repo.exclusion_facts(session, moving, at))
    await repo.append_changes(
        session,
        [
            {
                "at": at,
                "subject": k,
                "kind": "exclusion",
                "exclusion": kind.value,
                "excluded": k in still,
            }
            for k in moving
        ],
    )
    log.info("exclusion %s: case %s, %d keys", kind.value, case.id, len(moving))
    return at


async def on_request_verified(
    session: AsyncSession,
    case: Case,
    now: datetime,  # noqa: ARG001 (one signature for every hook)
) -> None:
    """A deletion, objection or output-removal request was verified: exclude its subject at once
    (provisional). Other request types exclude nothing."""
    if case.type in EXCLUDING_TYPES:
        await _record(session, case, ExclusionKind.PROVISIONAL, None)


async def on_request_fulfilled(session: AsyncSession, case: Case, now: datetime) -> None:
    """The request was fulfilled: the exclusion becomes permanent; an output-removal request
    publishes its suppression rule for the serving guardrail (stamped `now`)."""
    if case.type not in EXCLUDING_TYPES:
        return
    await _record(session, case, ExclusionKind.PERMANENT, None)
    if case.type == "output_removal":
        await _publish(session, case, now)


async def on_request_lifted(session: AsyncSession, case: Case, now: datetime, reason: str) -> None:
    """The request was denied or withdrawn. `reason` is the denial's reason code, or "withdrawn".
    Only `identity_not_verified` and `withdrawn` lift the exclusion (README, "Training eligibility"); any other
    reason leaves it standing. An output-removal request's suppression rule is withdrawn too."""
    if case.type not in EXCLUDING_TYPES or reason not in LIFTING_REASONS:
        return
    await _record(session, case, ExclusionKind.LIFTED, reason)
    if case.type == "output_removal":
        await _withdraw(session, case, now)


async def _publish(session: AsyncSession, case: Case, now: datetime) -> None:
    data = case.type_data or {}
    rule = await suppressions.for_case(session, case.id)
    if rule is not None and rule.status == "active":
        return
    values = {
        "status": "active",
        "personal_data": str(data.get("personal_data", "")),
        "models": [str(m) for m in data.get("models", [])],
        "published_at": now,
        "withdrawn_at": None,
        "seq": await suppressions.next_seq(session),
    }
    if rule is None:
        await suppressions.insert(session, {"id": uuid.uuid4(), "case_id": case.id, **values})
    else:
        await suppressions.update(session, rule.id, values)
    log.info("suppression published: case %s", case.id)


async def _withdraw(session: AsyncSession, case: Case, now: datetime) -> None:
    rule = await suppressions.for_case(session, case.id)
    if rule is None or rule.status != "active":
        return
    values = {
        "status": "withdrawn",
        "withdrawn_at": now,
        "seq": await suppressions.next_seq(session),
    }
    await suppressions.update(session, rule.id, values)
    log.info("suppression withdrawn: case %s", case.id)
