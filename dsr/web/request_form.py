"""The request form's flat fields and the type's own object built from them: shared by the
public form and the console's form for requests received by e-mail, post or phone, so both turn
what was typed into the API's body the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUEST_FIELDS = (
    "type",
    "jurisdiction",
    "email",
    "full_name",
    "account_id",
    "details",
    "inaccurate_data",
    "corrected_data",
    "personal_data",
    "examples",
    "models",
)


def type_object(values: Mapping[str, str]) -> dict[str, Any]:
    """`{"correction": {...}}` or `{"output_removal": {...}}` for those types, else nothing.
    Examples are one per line; models are separated by commas."""
    kind = values.get("type")
    if kind == "correction":
        return {
            "correction": {
                "inaccurate_data": values.get("inaccurate_data", ""),
                "corrected_data": values.get("corrected_data", ""),
            }
        }
    if kind == "output_removal":
        return {
            "output_removal": {
                "personal_data": values.get("personal_data", ""),
                "examples": [
                    x.strip() for x in values.get("examples", "").splitlines() if x.strip()
                ],
                "models": [m.strip() for m in values.get("models", "").split(",") if m.strip()],
            }
        }
    return {}
