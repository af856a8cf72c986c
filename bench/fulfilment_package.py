"""The requester's copy at scale (issue 9, "Benchmark", part 2): an access case with 20 data
systems that each sent 5 MB of results, fulfilled and downloaded against a live `dsr serve`.

    .venv/bin/python -m bench.fulfilment_package [--systems 20] [--mb 5] [--storage database|directory]

1. makes a throw-away PostgreSQL database next to DSR_BENCH_POSTGRES_URL and starts
   `dsr serve --no-worker` on it (it migrates);
2. through the real API and CLI: an admin (`dsr users create`), `--systems` pull systems, a token
   bound to each (`dsr tokens create --data-system`), a staff-entered access case with identity
   confirmed (its tasks open); each system posts its results like a pull client would: a JSON
   value of about 1 MB and a CSV file of the rest, then completes its task;
3. `fulfil`: the server builds the ZIP, seals it and stores it (timed);
4. downloads GET /api/v1/requests/{id}/package?token=… (the token is derived from the package id
   and the server's secret key, as the e-mail's link is) and checks the ZIP opens.

While the server builds and serves the package, the bench samples its resident memory (VmRSS
from /proc every 10 ms) and prints the growth over the figure just before: a streamed package
keeps it small whatever the package's size. Prints MB/s for the download and the build. Aim
(issue 9): download >= 50 MB/s, server RSS growth < 50 MB. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
import zipfile
from collections.abc import Awaitable
from pathlib import Path

import httpx

from bench._common import (
    SECRET,
    Server,
    create_pg_database,
    drop_pg_database,
    dsr_command,
    machine,
    unique_name,
)
from dsr.credentials import derive_case_token

MB = 1024 * 1024
PASSWORD = "bench-password-long-enough"


class Sampler:
    """The server's peak resident memory while a step runs."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak, self._stop = server, 0.0, asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.memory_mb()[0])
            await asyncio.sleep(0.01)

    async def measure(self, step: Awaitable[object]) -> float:
        """Run `step` and return the peak RSS seen meanwhile."""
        self.peak, self._stop = self.server.memory_mb()[0], asyncio.Event()
        task = asyncio.create_task(self.run())
        try:
            await step
        finally:
            self._stop.set()
            await task
        return self.peak


def _dsr(server: Server, *args: str) -> str:
    out = subprocess.run(
        [dsr_command(), *args], env=server.env, cwd=server.var_dir, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"dsr {args[0]} {args[1]} failed:\n{out.stderr[-2000:]}")
    return out.stdout


def system_token(server: Server, system: str) -> str:
    """A tasks:write token bound to one system, printed on the last line as for any token."""
    out = _dsr(server, "tokens", "create", "--name", unique_name("bench"),
               "--scope", "tasks:write", "--data-system", system)  # fmt: skip
    return out.strip().splitlines()[-1]


def _json_result(size: int, system: int) -> list[dict[str, object]]:
    # Random session ids, so the data compresses about as real logs do, not to nothing.
    row = {"system": system, "event": "login", "ip": "203.0.113.7", "session": "x" * 64}
    per = len(json.dumps(row)) + 10
    return [{**row, "session": secrets.token_urlsafe(48), "n": i} for i in range(size // per)]


def _csv_result(size: int, system: int) -> bytes:
    lines, total, i = [b"id,system,prompt\n"], 0, 0
    while total < size:
        line = f"{i},{system},{secrets.token_urlsafe(60)} typed into the product\n".encode()
        lines.append(line)
        total += len(line)
        i += 1
    return b"".join(lines)


async def setup(server: Server, systems: int, mb: float) -> tuple[str, str, float]:
    """An open access case whose systems all sent results and completed: (case id, staff token,
    MB of results)."""
    await asyncio.to_thread(
        _dsr, server, "users", "create", "--email", "bench-admin@example.com", "--role", "admin",
        "--password", PASSWORD,
    )  # fmt: skip
    sent = 0
    async with httpx.AsyncClient(base_url=server.base, timeout=120) as c:
        r = await c.post(
            "/api/v1/auth/token", data={"username": "bench-admin@example.com", "password": PASSWORD}
        )
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        names = [f"system-{i:02d}" for i in range(systems)]
        for name in names:
            body = {
                "name": name,
                "owner_email": "owner@example.com",
                "request_types": ["access"],
                "integration": "pull",
                "purposes": "Running the product",
                "retention": "Two years",
            }
            r = await c.post("/api/v1/data-systems", json=body, headers=staff)
            r.raise_for_status()
        r = await c.post(
            "/api/v1/cases",
            json={
                "type": "access",
                "jurisdiction": "DE",
                "email": "bench@example.org",
                "full_name": "Bench Requester",
                "received_at": "2026-12-01",
                "channel": "post",
                "identity_verified": True,
            },
            headers=staff,
        )
        r.raise_for_status()
        case_id = r.json()["id"]
        total = int(mb * MB)
        for i, name in enumerate(names):
            token = await asyncio.to_thread(system_token, server, name)
            own = {"Authorization": f"Bearer {token}"}
            task = (await c.get("/api/v1/tasks", params={"status": "open"}, headers=own)).json()
            task_id = task["items"][0]["id"]
            value = _json_result(total // 5, i)
            csv = _csv_result(total - len(json.dumps(value)), i)
            r = await c.post(f"/api/v1/tasks/{task_id}/results", json=value, headers=own)
            r.raise_for_status()
            files = {"file": (f"prompts-{i}.csv", csv, "text/csv")}
            r = await c.post(f"/api/v1/tasks/{task_id}/results", files=files, headers=own)
            r.raise_for_status()
            r = await c.post(
                f"/api/v1/tasks/{task_id}/complete", json={"outcome": "done"}, headers=own
            )
            r.raise_for_status()
            sent += len(json.dumps(value)) + len(csv)
        r = await c.post(
            f"/api/v1/cases/{case_id}/actions",
            json={"action": "assign", "assignee": "bench-admin@example.com"},
            headers=staff,
        )
        r.raise_for_status()
    return case_id, staff["Authorization"], sent / MB


async def run(systems: int, mb: float, storage: str) -> None:
    name = unique_name("dsr_bench_package")
    url = await create_pg_database(name)
    workdir = Path(tempfile.mkdtemp(prefix="dsr-bench-package-"))
    env = {"DSR_STORAGE_DIR": str(workdir / "store")} if storage == "directory" else {}
    server = Server(url, workdir, env=env)
    try:
        server.start()
        case_id, bearer, sent_mb = await setup(server, systems, mb)
        sampler = Sampler(server)
        headers = {"Authorization": bearer}
        async with httpx.AsyncClient(base_url=server.base, timeout=600) as c:
            before = server.memory_mb()[0]
            t0 = time.perf_counter()
            fulfil = c.post(
                f"/api/v1/cases/{case_id}/actions", json={"action": "fulfil"}, headers=headers
            )
            build_peak = await sampler.measure(fulfil)
            build_s = time.perf_counter() - t0
            events = (await c.get(f"/api/v1/cases/{case_id}/events", headers=headers)).json()
            built = next(e for e in events if e["action"] == "package_built")["data"]
            token = derive_case_token(SECRET, uuid.UUID(built["package_id"]), "package")

            body = bytearray()

            async def download() -> None:
                path = f"/api/v1/requests/{case_id}/package"
                async with c.stream("GET", path, params={"token": token}) as r:
                    r.raise_for_status()
                    async for part in r.aiter_bytes(MB):
                        body.extend(part)

            before_download = server.memory_mb()[0]
            t0 = time.perf_counter()
            download_peak = await sampler.measure(download())
            download_s = time.perf_counter() - t0
        members = zipfile.ZipFile(io.BytesIO(body)).namelist()
        size_mb = len(body) / MB
        print(f"machine: {machine()}; PostgreSQL; storage: {storage}")
        print(f"results: {systems} systems, {sent_mb:.1f} MB sent; ZIP {size_mb:.1f} MB, "
              f"{len(members)} members")  # fmt: skip
        print(f"build (fulfil):  {build_s:6.2f} s  {sent_mb / build_s:7.1f} MB/s of results; "
              f"server RSS {before:.0f} MB -> peak {build_peak:.0f} MB "
              f"(growth {build_peak - before:.1f} MB)")  # fmt: skip
        print(f"download:        {download_s:6.2f} s  {size_mb / download_s:7.1f} MB/s; "
              f"server RSS {before_download:.0f} MB -> peak {download_peak:.0f} MB "
              f"(growth {download_peak - before_download:.1f} MB)")  # fmt: skip
        print("aim: download >= 50 MB/s, server RSS growth < 50 MB")
    finally:
        server.stop()
        await drop_pg_database(name)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, default=20)
    parser.add_argument("--mb", type=float, default=5.0, help="results per system, in MB")
    parser.add_argument("--storage", choices=["database", "directory"], default="database")
    args = parser.parse_args()
    os.environ.setdefault("DSR_SECRET_KEY", SECRET)
    asyncio.run(run(args.systems, args.mb, args.storage))


if __name__ == "__main__":
    main()
