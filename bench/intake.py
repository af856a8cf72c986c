"""Public intake throughput and latency against a live `dsr serve` (issue 2, "Measured").

    .venv/bin/python -m bench.intake [--backend postgresql|sqlite|both] [--duration 10]
                                     [--concurrency 1,32] [--workers 1,2] [--json FILE]
                                     [--loadgen python|wrk]

For each backend (and, on PostgreSQL, each `--workers` count):
1. makes a throw-away database: a new PostgreSQL database next to DSR_BENCH_POSTGRES_URL
   (default postgresql+asyncpg://postgres@127.0.0.1:5432/test), or a new SQLite file;
2. starts `dsr serve --no-worker` on a free port (it migrates the database), with the intake
   rate limits raised through DSR_RATE_LIMIT_IP / DSR_RATE_LIMIT_EMAIL so they do not throttle;
3. for each concurrency, runs that many clients (httpx.AsyncClient, keep-alive), each sending
   POST /api/v1/requests back to back for `--duration` seconds after a short warm-up, every one
   with a new e-mail address and a mix of request types; counts 201s, errors, and latencies.

With `--loadgen wrk` the clients are wrk's connections (Debian package `wrk`, written in C)
instead of httpx clients in this process: wrk costs about 0.05 ms of CPU per request against
the Python client's 1.3-1.7 ms, so the server gets the cores the Python client would take.

Prints requests per second and p50/p90/p99/max latency per run. The load generator shares the
machine with the server, so the figures are what one box does with both. Aim (issue 2): at least
300 submissions/s on PostgreSQL, p99 under 100 ms at that load, and a single client's p50 under
10 ms. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    Server,
    create_pg_database,
    drop_pg_database,
    machine,
    pct,
    proc_stat,
    unique_name,
)

WARMUP_SECONDS = 2.0
# High enough that the intake limits never throttle the bench: it measures the server.
NO_RATE_LIMITS = {
    "DSR_RATE_LIMIT_IP": "100000000/minute",
    "DSR_RATE_LIMIT_EMAIL": "100000000/minute",
}


def body(n: int) -> dict[str, Any]:
    """A plausible mix: mostly access and deletion, some of each other type, many places."""
    kind = n % 10
    jurisdiction = ("DE", "US-CA", "GB", "FR", "US-VA", "BR", "CA-QC", "JP")[n % 8]
    out: dict[str, Any] = {
        "type": "access",
        "jurisdiction": jurisdiction,
        "email": f"bench-{n}-{uuid.uuid4().hex[:8]}@example.org",
        "full_name": f"Bench Person {n}",
    }
    if kind in (3, 4, 5):
        out["type"] = "deletion"
    elif kind == 6:
        out["type"] = "objection"
        out["details"] = "Do not use my data to train models."
    elif kind == 7:
        out["type"] = "correction"
        out["correction"] = {"inaccurate_data": "Birth year 1816", "corrected_data": "1815"}
    elif kind == 8:
        out["type"] = "output_removal"
        out["output_removal"] = {
            "personal_data": "My home address",
            "examples": ["Where does Bench Person live?"],
            "models": ["chat-1"],
        }
    return out


# --- CPU accounting -------------------------------------------------------------------------
# Wall-clock figures on a shared 2-core box move with whatever else runs; CPU time per request
# does not, so each run also reports what one request costs the server, PostgreSQL and the load
# generator.


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of a process and its descendants (uvicorn's worker processes), by pid."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for pid in _all_pids():
        st = proc_stat(pid)
        if st:
            parents[pid], cpu[pid] = st
    out: dict[int, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        out[pid] = cpu.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return out


def postgres_cpu(database: str | None) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving `database` (their titles name it)."""
    out: dict[int, float] = {}
    if not database:
        return out
    for pid in _all_pids():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            st = proc_stat(pid)
            if st:
                out[pid] = st[1]
    return out


@dataclass
class CpuProbe:
    """Per-process CPU before and after a run. A process that ends during the run (an overflow
    database connection closed by the pool) takes its share with it: figures are a floor."""

    server_pid: int | None = None
    database: str | None = None

    def read(self) -> tuple[dict[int, float], dict[int, float], float]:
        server = tree_cpu(self.server_pid) if self.server_pid else {}
        return server, postgres_cpu(self.database), time.process_time()

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


# --- load -------------------------------------------------------------------------------------


@dataclass
class Run:
    backend: str
    workers: int
    concurrency: int
    seconds: float
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    server_cpu_ms: float = 0.0  # CPU per successful request, all API processes
    postgres_cpu_ms: float = 0.0
    client_cpu_ms: float = 0.0


async def load(
    url: str, concurrency: int, seconds: float, counter: list[int], probe: CpuProbe
) -> Run:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    measuring = False
    stop_at = 0.0

    async def client_loop(c: httpx.AsyncClient) -> None:
        while True:
            n = counter[0]
            counter[0] += 1
            payload = body(n)
            t0 = time.perf_counter()
            try:
                r = await c.post("/api/v1/requests", json=payload)
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - t0
            if measuring:
                if status == "201":
                    latencies.append(elapsed)
                else:
                    errors[status] = errors.get(status, 0) + 1
            if time.perf_counter() >= stop_at and measuring:
                return

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as c:
        stop_at = time.perf_counter() + WARMUP_SECONDS + seconds
        tasks = [asyncio.create_task(client_loop(c)) for _ in range(concurrency)]
        await asyncio.sleep(WARMUP_SECONDS)
        measuring = True
        cpu_before = probe.read()
        started = time.perf_counter()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        cpu_after = probe.read()
    ms = [x * 1000 for x in latencies]
    spent = [
        CpuProbe.spent(cpu_before[0], cpu_after[0]),
        CpuProbe.spent(cpu_before[1], cpu_after[1]),
        cpu_after[2] - cpu_before[2],
    ]
    per_request = [round(1000 * x / max(len(ms), 1), 2) for x in spent]
    return Run(
        backend="",
        workers=0,
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        ok=len(ms),
        errors=errors,
        rps=round(len(ms) / elapsed, 1),
        p50_ms=round(statistics.median(ms), 2) if ms else float("nan"),
        p90_ms=round(pct(ms, 0.90), 2),
        p99_ms=round(pct(ms, 0.99), 2),
        max_ms=round(max(ms), 2) if ms else float("nan"),
        server_cpu_ms=per_request[0],
        postgres_cpu_ms=per_request[1],
        client_cpu_ms=per_request[2],
    )


# wrk (Debian package `wrk`, written in C) spends a fraction of the CPU that the Python client
# above does per request, so more of the two cores goes to the server: the fairer measure of what
# the server can take. Its Lua script builds the same mix of request types with a new address
# each time; wrk reports latency percentiles itself (--latency).
WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local seed = tostring(math.random(1, 2000000000))
local places = {"DE", "US-CA", "GB", "FR", "US-VA", "BR", "CA-QC", "JP"}
request = function()
  n = n + 1
  local kind = n % 10
  local extra = ""
  local t = "access"
  if kind >= 3 and kind <= 5 then t = "deletion"
  elseif kind == 6 then t = "objection"; extra = ',"details":"Do not use my data to train models."'
  elseif kind == 7 then t = "correction"
    extra = ',"correction":{"inaccurate_data":"Birth year 1816","corrected_data":"1815"}'
  elseif kind == 8 then t = "output_removal"
    extra = ',"output_removal":{"personal_data":"My home address","models":["chat-1"]}'
  end
  local body = '{"type":"' .. t .. '","jurisdiction":"' .. places[(n % 8) + 1]
    .. '","email":"wrk-' .. seed .. '-' .. n .. '@example.org","full_name":"Bench Person"'
    .. extra .. '}'
  return wrk.format(nil, "/api/v1/requests", nil, body)
end
"""
_WRK_PCT = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load_wrk(base: str, concurrency: int, seconds: float, probe: CpuProbe) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency", "-s", f.name, base]
    # Warm-up, unmeasured, as for the Python client.
    subprocess.run([*cmd[:3], "-d2s", *cmd[4:]], capture_output=True, check=True)
    cpu_before = probe.read()
    child_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    child_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after = probe.read()
    os.unlink(f.name)
    pct_ms = {int(m[1]): float(m[2]) * _WRK_UNIT[m[3]] for m in _WRK_PCT.finditer(out)}
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    count = int(done[1]) if done else 0
    elapsed = (float(done[2]) / (1000 if done[3] == "ms" else 1)) if done else seconds
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = {"non-2xx": int(bad[1])} if bad else {}
    sock = re.search(r"Socket errors: (.*)", out)
    if sock:
        errors["socket"] = sum(int(x) for x in re.findall(r"\d+", sock[1]))
    ok = count - sum(errors.values())
    client = (child_after.ru_utime + child_after.ru_stime) - (
        child_before.ru_utime + child_before.ru_stime
    )
    spent = [
        CpuProbe.spent(cpu_before[0], cpu_after[0]),
        CpuProbe.spent(cpu_before[1], cpu_after[1]),
        client,
    ]
    per_request = [round(1000 * x / max(count, 1), 2) for x in spent]
    max_match = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    return Run(
        backend="",
        workers=0,
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        ok=ok,
        errors=errors,
        rps=round(count / elapsed, 1),
        p50_ms=round(pct_ms.get(50, float("nan")), 2),
        p90_ms=round(pct_ms.get(90, float("nan")), 2),
        p99_ms=round(pct_ms.get(99, float("nan")), 2),
        max_ms=round(float(max_match[1]) * _WRK_UNIT[max_match[2]], 2)
        if max_match
        else float("nan"),
        server_cpu_ms=per_request[0],
        postgres_cpu_ms=per_request[1],
        client_cpu_ms=per_request[2],
    )


def show(run: Run) -> None:
    errs = ", ".join(f"{k}: {v}" for k, v in run.errors.items()) or "none"
    print(
        f"{run.backend:<10} workers={run.workers} clients={run.concurrency:<3} "
        f"{run.rps:>7.1f} req/s  p50 {run.p50_ms:>6.2f} ms  p90 {run.p90_ms:>6.2f} ms  "
        f"p99 {run.p99_ms:>6.2f} ms  max {run.max_ms:>7.2f} ms  ({run.ok} in {run.seconds}s; "
        f"errors: {errs})  CPU/req: server {run.server_cpu_ms:.2f} ms, postgres "
        f"{run.postgres_cpu_ms:.2f} ms, client {run.client_cpu_ms:.2f} ms",
        flush=True,
    )


async def bench_backend(
    backend: str, workers: int, concurrencies: list[int], seconds: float, loadgen: str = "python"
) -> list[Run]:
    workdir = Path(tempfile.mkdtemp(prefix="dsr-bench-intake-"))
    pg_name = None
    if backend == "postgresql":
        pg_name = unique_name("dsr_bench_intake")
        url = await create_pg_database(pg_name)
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    server = Server(url, workdir, workers=workers, env=NO_RATE_LIMITS)
    runs = []
    try:
        server.start()
        counter = [0]
        probe = CpuProbe(server.pid, pg_name)
        for c in concurrencies:
            if loadgen == "wrk":
                run = load_wrk(server.base, c, seconds, probe)
            else:
                run = await load(server.base, c, seconds, counter, probe)
            run.backend, run.workers = backend, workers
            show(run)
            runs.append(run)
    finally:
        server.stop()
        if pg_name:
            await drop_pg_database(pg_name)
        shutil.rmtree(workdir, ignore_errors=True)
    return runs


async def bench_url(
    url: str, concurrencies: list[int], seconds: float, pid: int | None, database: str | None
) -> None:
    counter = [0]
    for c in concurrencies:
        run = await load(url.rstrip("/"), c, seconds, counter, CpuProbe(pid, database))
        run.backend = "external"
        show(run)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run (after warm-up)")
    p.add_argument("--concurrency", default="1,32", help="comma-separated client counts")
    p.add_argument("--workers", default="1,2", help="API processes to try on PostgreSQL")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument(
        "--loadgen",
        choices=["python", "wrk"],
        default="python",
        help="the load generator: httpx clients in this process, or wrk (Debian package)",
    )
    p.add_argument(
        "--url", help="measure a server that is already running here instead of starting one"
    )
    p.add_argument("--pid", type=int, help="with --url: the server's process id (for CPU/req)")
    p.add_argument("--database", help="with --url: its PostgreSQL database name (for CPU/req)")
    args = p.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",") if c]
    workers = [int(w) for w in args.workers.split(",") if w]
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    if args.url:
        asyncio.run(bench_url(args.url, concurrencies, args.duration, args.pid, args.database))
        return

    print(f"machine: {machine()}")
    if args.loadgen == "wrk" and not shutil.which("wrk"):
        sys.exit("--loadgen wrk needs wrk on the PATH (apt-get install wrk)")
    print(
        f"{args.duration:g} s per run after {WARMUP_SECONDS:g} s warm-up; load generator "
        f"({args.loadgen}) on the same machine"
    )
    runs: list[Run] = []
    for backend in backends:
        for w in workers if backend == "postgresql" else [1]:
            runs += asyncio.run(
                bench_backend(backend, w, concurrencies, args.duration, args.loadgen)
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))


if __name__ == "__main__":
    main()
