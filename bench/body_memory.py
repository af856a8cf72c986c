"""Memory a live `dsr serve` holds while anonymous clients send large bodies (issue 12, defect 1).

Four concurrent anonymous 16 MB bodies go to each route with a larger body limit (the bulk
consent and eligibility calls, the task results of the task API, the owner's task page and the
console), then one authenticated 16 MB eligibility call; the server's resident memory (VmRSS)
and its peak (VmHWM) are read from /proc before and after each round.

    python -m bench.body_memory                     # this checkout
    python -m bench.body_memory --src DIR           # another checkout's dsr package (e.g. main's
                                                    # `git archive`), run with this venv
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable
from pathlib import Path

import httpx

from bench._common import Server, machine

MB = 1024 * 1024
BODY_BYTES = 16 * MB - 4096  # under the bulk limit: the server must not refuse it by its length
CONCURRENT = 4
ZERO_UUID = uuid.UUID(int=0)
TASK_API = f"/api/v1/tasks/{ZERO_UUID}/results"
TASK_PAGE = f"/tasks/{ZERO_UUID}/results"
CONSOLE_TASK = f"/console/tasks/{ZERO_UUID}/results"


def consent_body(size: int) -> bytes:
    record = (
        b'{"subject":"account:%08d","category":"prompts","purpose":"base_model_training",'
        b'"granted":true,"recorded_at":"2026-01-01T00:00:00Z"}'
    )
    parts, total, n = [], 0, 0
    while total < size - 200:
        item = record % n
        parts.append(item)
        total += len(item) + 1
        n += 1
    return b'{"records":[' + b",".join(parts) + b"]}"


def eligibility_body(size: int) -> bytes:
    subjects, total, n = [], 0, 0
    while total < size - 200:
        item = b'"account:%012d"' % n
        subjects.append(item)
        total += len(item) + 1
        n += 1
    return (
        b'{"purpose":"base_model_training","category":"prompts","subjects":['
        + b",".join(subjects)
        + b"]}"
    )


async def send_all(
    base: str, path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=300) as c:

        async def one() -> int:
            try:
                r = await c.post(
                    path, content=body, headers={"content-type": content_type, **(headers or {})}
                )
                return r.status_code
            except httpx.TransportError:
                return 0  # the server answered before reading the body and closed the connection

        return list(await asyncio.gather(*(one() for _ in range(CONCURRENT))))


async def measured(server: Server, sending: Awaitable[list[int]]) -> tuple[list[int], float]:
    """The answers, and the largest resident memory seen while they were being sent (sampled
    every 10 ms: VmHWM would keep the peak of an earlier round)."""
    peak = server.memory_mb()[0]
    task = asyncio.ensure_future(sending)
    while not task.done():
        peak = max(peak, server.memory_mb()[0])
        await asyncio.sleep(0.01)
    return task.result(), peak


def row(server: Server, what: str, codes: list[int], before: float, peak: float) -> None:
    after = server.memory_mb()[0]
    print(
        f"{what:<52} answers {sorted(set(codes))!s:<10} RSS {before:6.0f} -> {after:6.0f} MB"
        f"   highest while sending {peak:6.0f} MB"
    )


async def run(server: Server) -> None:
    consents = consent_body(BODY_BYTES)
    eligibility = eligibility_body(BODY_BYTES)
    multipart = "multipart/form-data; boundary=xyz"
    files = b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.json"\r\n'
    files += b"Content-Type: application/json\r\n\r\n" + consents + b"\r\n--xyz--\r\n"
    rounds = [
        ("POST /api/v1/consents", "/api/v1/consents", consents, "application/json"),
        (
            "POST /api/v1/training/eligibility",
            "/api/v1/training/eligibility",
            eligibility,
            "application/json",
        ),
        ("POST /api/v1/tasks/{id}/results", TASK_API, consents, "application/json"),
        ("POST /tasks/{id}/results (no token)", TASK_PAGE, files, multipart),
        ("POST /console/tasks/{id}/results", CONSOLE_TASK, files, multipart),
    ]
    print(f"{CONCURRENT} concurrent anonymous bodies of {len(consents) / MB:.1f} MB each:")
    for what, path, body, kind in rounds:
        before = server.memory_mb()[0]
        codes, peak = await measured(server, send_all(server.base, path, body, kind))
        row(server, what, codes, before, peak)
    token = await asyncio.to_thread(server.token, "training:read")
    before = server.memory_mb()[0]
    codes, peak = await measured(
        server,
        send_all(
            server.base,
            "/api/v1/training/eligibility",
            eligibility,
            "application/json",
            {"authorization": f"Bearer {token}"},
        ),
    )
    row(server, f"{CONCURRENT} x authenticated /api/v1/training/eligibility", codes, before, peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", help="a directory holding another checkout's dsr package")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DSR_RATE_LIMIT_IP": "100000/minute", "DSR_RATE_LIMIT_EMAIL": "100000/minute"}
        if args.src:
            env["PYTHONPATH"] = os.path.abspath(args.src)
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        server = Server(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", Path(tmp), env=env)
        server.start()
        try:
            rss, hwm = server.memory_mb()
            print(f"dsr serve (SQLite), idle: RSS {rss:.0f} MB, peak since start {hwm:.0f} MB")
            asyncio.run(run(server))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
