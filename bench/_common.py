"""What every bench needs: a free port, percentiles, throw-away PostgreSQL databases, a live
`dsr serve --no-worker` to measure, and a process's CPU time and memory from /proc.

The benches are modules of the `bench` package, run from the repository root as
`python -m bench.<name>`, so that nothing here has to adjust `sys.path`.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO

import asyncpg
import httpx

# The database next to which throw-away ones are made (the machine's `test` database by default).
ADMIN_URL = os.environ.get(
    "DSR_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SECRET = "bench-secret-key"
READY_TIMEOUT_SECONDS = 60
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) by nearest rank over the sorted values; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    """One line on what the figures were measured on."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


# --- PostgreSQL -------------------------------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    """An SQLAlchemy `postgresql+asyncpg://` URL as asyncpg itself takes it."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_url(name: str) -> str:
    """The SQLAlchemy URL of database `name` on the server of ADMIN_URL."""
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


async def create_pg_database(name: str) -> str:
    """(Re)create database `name` empty and return its URL. A database left by an interrupted
    run under the same name is dropped first."""
    conn = await asyncpg.connect(asyncpg_dsn(ADMIN_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(name)


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(ADMIN_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- processes --------------------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a process from /proc; None once it has gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # after "(comm)", which may contain spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def dsr_command() -> str:
    """The `dsr` console script of the Python running the bench (the project's venv)."""
    return shutil.which("dsr", path=str(Path(sys.executable).parent)) or "dsr"


class Server:
    """`dsr serve --no-worker` on a free port, with its output in `var_dir/serve-<port>.log`.

    Nothing is sent (no worker), so the SMTP port points at a free port; `env` adds or replaces
    DSR_* variables (the benches raise the rate limits so that they measure the server, not the
    limiter)."""

    def __init__(
        self,
        database_url: str,
        var_dir: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.var_dir = var_dir
        self.workers = workers
        self.log_path = var_dir / f"serve-{self.port}.log"
        self.env = {
            **os.environ,
            "DSR_DATABASE_URL": database_url,
            "DSR_SECRET_KEY": SECRET,
            "DSR_VAR_DIR": str(var_dir),
            "DSR_SMTP_PORT": str(free_port()),
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, "start() the server first"
        return self.proc.pid

    def start(self) -> None:
        """Start the server and wait until /readyz answers 200 (it migrates the database first)."""
        cmd = [dsr_command(), "serve", "--no-worker", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port)]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, env=self.env, cwd=self.var_dir, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        code = self.proc.poll()
        self.stop()
        why = f"exited with {code}" if code is not None else "did not become ready"
        raise SystemExit(f"dsr serve {why}:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def token(self, *scopes: str) -> str:
        """A new service token with these scopes (`dsr tokens create` prints it on its last line)."""
        args = [dsr_command(), "tokens", "create", "--name", unique_name("bench")]
        for scope in scopes:
            args += ["--scope", scope]
        out = subprocess.run(args, env=self.env, check=True, capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        stat = proc_stat(self.pid)
        return stat[1] if stat else 0.0

    def memory_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the server process in MB: resident now, and its peak."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
