"""What every HTML form needs: its fields as a model (FastAPI reads them with `Form()`), and one
way to turn a pydantic ValidationError into the message shown beside each field.

Form models here are lenient (every field a string that may be empty): the page must open again
with what was typed and a message per field, which a 422 from FastAPI's own validation would not
do. The API schema (RequestIn, StaffCaseIn, …) then judges the values."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import BaseModel, ConfigDict, ValidationError

from dsr.i18n.catalogues import gettext_current
from dsr.notifications.catalogue import N_
from dsr.web.request_form import REQUEST_FIELDS


class FormModel(BaseModel):
    # The CSRF token and the buttons' names travel in the same form: not fields of the model.
    model_config = ConfigDict(extra="ignore")


class RequestForm(FormModel):
    """The request form's flat fields (dsr.web.request_form), as the public form and the
    console's new-request form send them."""

    type: str = ""
    jurisdiction: str = ""
    email: str = ""
    full_name: str = ""
    account_id: str = ""
    details: str = ""
    inaccurate_data: str = ""
    corrected_data: str = ""
    personal_data: str = ""
    examples: str = ""
    models: str = ""

    def values(self, *, strip: bool = False) -> dict[str, str]:
        return {k: (v.strip() if strip else v) for k, v in self.model_dump().items()}


assert set(RequestForm.model_fields) == set(REQUEST_FIELDS), "one list of the form's fields"


def field_messages(
    exc: ValidationError,
    fields: Collection[str],
    friendly: Mapping[str, str] | None = None,
    fallback: str | None = "type",
) -> dict[str, str]:
    """The first problem of each field, keyed by the form field it is shown beside.

    An error belongs to the innermost part of its location that is a field of the form
    (`("correction", "inaccurate_data")` -> `inaccurate_data`, `("output_removal", "examples",
    0)` -> `examples`); one that belongs to none (a model-level check, a hidden field) is shown
    beside `fallback`, or dropped when that is None. `friendly` words a field's message in the
    page's own terms: a key `field:error_type` applies to that kind of error only, a key
    `field` to any; without one, the validator's own message is shown."""
    friendly = friendly or {}
    out: dict[str, str] = {}
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        name = next((p for p in reversed(loc) if p in fields), fallback)
        if name is None:
            continue
        message = (
            friendly.get(f"{name}:{e['type']}")
            or friendly.get(name)
            or _common(e)
            or str(e["msg"]).removeprefix("Value error, ")
        )
        out.setdefault(
            name, message[:1].upper() + message[1:] if message else N_("Check this field.")
        )
    return out


def _common(error: Mapping[str, object]) -> str | None:
    """The validator's commonest complaints in the page's language (its own words are English):
    an empty answer, and one longer than its column."""
    ctx = error.get("ctx")
    if error["type"] == "string_too_long" and isinstance(ctx, Mapping):
        return gettext_current(N_("Enter at most %(max)s characters.")) % {
            "max": ctx.get("max_length")
        }
    if error["type"] == "missing" or (
        error["type"] == "string_too_short"
        and isinstance(ctx, Mapping)
        and ctx.get("min_length") == 1
    ):
        return gettext_current(N_("This answer is required."))
    return None
