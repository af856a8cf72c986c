"""`dsr report metrics` (design §4.3), the real console script against the test databases: the
same numbers as the API, as JSON, CSV and Markdown; a bad year is refused."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI

from tests.report_cases import at, case, store

DSR = Path(sys.executable).with_name("dsr")


def report(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DSR_DATABASE_URL": database_url,
        "DSR_SECRET_KEY": "cli-test-secret",
        "DSR_VAR_DIR": str(cwd),
        "DSR_TIMEZONE": "Europe/Berlin",
    }
    return subprocess.run(
        [str(DSR), "report", "metrics", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


async def test_report_metrics_in_three_formats(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    await store(
        app,
        case("2025-01-01", "fulfilled", decided=at("2025-01-05")),
        case("2025-01-02", "fulfilled", decided=at("2025-01-04", 23)),  # 5 Jan in Berlin: 3 days
        case("2025-01-03", "denied", type="deletion", decided=at("2025-01-09"), reason="other"),
    )
    out = report(database_url, tmp_path, "--year", "2025")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["time_zone"] == "Europe/Berlin"
    access = body["types"]["access"]
    assert (access["received"], access["complied_in_whole"]) == (2, 2)
    assert (access["median_days"], access["mean_days"]) == (3.5, 3.5)  # 4 and 3 days

    out = report(database_url, tmp_path, "--year", "2025", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = {r["type"]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert rows["deletion"]["denied"] == "1"
    assert rows["deletion"]["denied_other"] == "1"
    assert rows["deletion"]["median_days"] == "6.0"
    assert rows["objection"]["median_days"] == ""

    out = report(database_url, tmp_path, "--year", "2025", "--format", "markdown")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("# Request metrics 2025 (dates in Europe/Berlin)\n")
    assert "| access | 2 | 2 | 0 | 0 | 0 | 0 | 0 | 3.5 | 3.5 |" in out.stdout


async def test_a_bad_year_is_refused(database_url: str, tmp_path: Path) -> None:
    out = report(database_url, tmp_path, "--year", "12")
    assert out.returncode == 2
    assert "year must be 2000 to 2100" in out.stderr
