"""The public form's optional agent fields, turned into the API's `agent` object (11 CCR 7063
[U]; docs/legal.md §1.10). Kept apart from dsr.web.public_form so its errors land beside the agent
fields, not the consumer's fields of the same name."""

from __future__ import annotations

from pydantic import ValidationError

from dsr.cases.schemas import AgentIn
from dsr.notifications.catalogue import N_
from dsr.web.forms import field_messages


def agent_from_form(values: dict[str, str]) -> tuple[dict[str, str] | None, dict[str, str]]:
    """The `agent` object from the form's agent fields, or None when none is filled in; its
    problems keyed by the form field they belong to."""
    typed = {k: values.get(f"agent_{k}", "") for k in ("kind", "name", "email")}
    if not any(v.strip() for v in typed.values()):
        return None, {}
    try:
        return AgentIn.model_validate(typed).model_dump(mode="json"), {}
    except ValidationError as exc:
        errors = field_messages(exc, ("kind", "name", "email"), fallback="kind")
        words = {"kind": N_("Choose how you act for the consumer.")}
        return None, {f"agent_{k}": words.get(k, v) for k, v in errors.items()}
