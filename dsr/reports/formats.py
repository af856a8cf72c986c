"""The metrics as CSV and Markdown (JSON is the model itself), for `dsr report metrics`."""

from __future__ import annotations

import csv
import io

from dsr.domain.vocabulary import DenialReason
from dsr.reports.metrics import Metrics

COLUMNS = (
    "received",
    "complied_in_whole",
    "complied_in_part",
    "denied",
    "withdrawn",
    "unverified",
    "pending",
    "median_days",
    "mean_days",
)


def _rows(metrics: Metrics) -> tuple[list[str], list[list[str]]]:
    reasons = [r.value for r in DenialReason]
    head = ["type", *COLUMNS, *(f"denied_{r}" for r in reasons)]
    rows = []
    for name, m in metrics.types.items():
        values = m.model_dump()
        cells = ["" if values[c] is None else str(values[c]) for c in COLUMNS]
        rows.append([name, *cells, *(str(m.denied_by_reason.get(r, 0)) for r in reasons)])
    return head, rows


def as_csv(metrics: Metrics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head, rows = _rows(metrics)
    writer.writerow(head)
    writer.writerows(rows)
    return out.getvalue()


def as_markdown(metrics: Metrics) -> str:
    head, rows = _rows(metrics)
    head = head[: 1 + len(COLUMNS)]  # the reasons are a second table: the first stays readable
    lines = [
        f"# Request metrics {metrics.year} (dates in {metrics.time_zone})",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(r[: len(head)]) + " |" for r in rows),
        "",
        "## Denials by reason",
        "",
        "| type | " + " | ".join(r.value for r in DenialReason) + " |",
        "|" + "---|" * (1 + len(DenialReason)),
        *("| " + " | ".join([r[0], *r[1 + len(COLUMNS) :]]) + " |" for r in rows),
    ]
    return "\n".join(lines) + "\n"
