"""Public intake throughput and latency against a live `dsr serve` (issue 2, "Measured").

    .venv/bin/python bench/intake.py [--backend postgresql|sqlite|both] [--duration 10]
                                     [--concurrency 1,32] [--workers 1,2] [--json FILE]

For each backend (and, on PostgreSQL, each `--workers` count):
1. makes a throw-away database: a new PostgreSQL database next to DSR_BENCH_POSTGRES_URL
   (default postgresql+asyncpg://postgres@127.0.0.1:5432/test), or a new SQLite file;
2. starts `dsr serve --no-worker` on a free port (it migrates the database), with the intake
   rate limits raised through DSR_RATE_LIMIT_IP / DSR_RATE_LIMIT_EMAIL so they do not throttle;
3. for each concurrency, runs that many clients (httpx.AsyncClient, keep-alive), each sending
   POST /api/v1/requests back to back for `--duration` seconds after a short warm-up, every one
   with a new e-mail address and a mix of request types; counts 201s, errors, and latencies.

Prints requests per second and p50/p90/p99/max latency per run. The load generator shares the
machine with the server, so the figures are what one box does with both. Aim (issue 2): at least
300 submissions/s on PostgreSQL, p99 under 100 ms at that load, and a single client's p50 under
10 ms. Asserts nothing.
"""

from __future__ import annotations

import os
import sys

# Python puts this script's folder first on sys.path, and bench/queue.py would then hide the
# standard library's `queue` (which asyncio and httpx need): drop the folder from the path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
import httpx  # noqa: E402

ADMIN_URL = os.environ.get(
    "DSR_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
DSR = Path(sys.executable).with_name("dsr")
WARMUP_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


# --- databases --------------------------------------------------------------------------------


def _pg(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_pg_database() -> tuple[str, str]:
    name = f"dsr_bench_intake_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(_pg(ADMIN_URL))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(_pg(ADMIN_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- the server -------------------------------------------------------------------------------


class Server:
    def __init__(self, database_url: str, workdir: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.workers = workers
        self.log_path = workdir / f"serve-{self.port}.log"
        self.env = {
            **os.environ,
            "DSR_DATABASE_URL": database_url,
            "DSR_SECRET_KEY": "bench-secret-key",
            "DSR_VAR_DIR": str(workdir),
            "DSR_SMTP_PORT": str(free_port()),  # --no-worker: nothing is sent
            "DSR_RATE_LIMIT_IP": "100000000/minute",
            "DSR_RATE_LIMIT_EMAIL": "100000000/minute",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [str(DSR), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, env=self.env, cwd=self.workdir, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        sys.exit(f"dsr serve did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- CPU accounting -------------------------------------------------------------------------
# Wall-clock figures on a shared 2-core box move with whatever else runs; CPU time per request
# does not, so each run also reports what one request costs the server, PostgreSQL and the load
# generator.

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of a process and its descendants (uvicorn's worker processes), by pid."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for pid in _all_pids():
        st = _stat(pid)
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
            st = _stat(pid)
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


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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
    backend: str, workers: int, concurrencies: list[int], seconds: float
) -> list[Run]:
    workdir = Path(tempfile.mkdtemp(prefix="dsr-bench-intake-"))
    pg_name = None
    if backend == "postgresql":
        pg_name, url = await create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    server = Server(url, workdir, workers)
    runs = []
    try:
        server.start()
        counter = [0]
        probe = CpuProbe(server.proc.pid if server.proc else None, pg_name)
        for c in concurrencies:
            run = await load(server.url, c, seconds, counter, probe)
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


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per run (after warm-up)")
    p.add_argument("--concurrency", default="1,32", help="comma-separated client counts")
    p.add_argument("--workers", default="1,2", help="API processes to try on PostgreSQL")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
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
    print(
        f"{args.duration:g} s per run after {WARMUP_SECONDS:g} s warm-up; load generator on the same machine"
    )
    runs: list[Run] = []
    for backend in backends:
        for w in workers if backend == "postgresql" else [1]:
            runs += asyncio.run(bench_backend(backend, w, concurrencies, args.duration))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))


if __name__ == "__main__":
    main()
