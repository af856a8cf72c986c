"""`dsr serve` in a child process, as an operator runs it, for tests of what only a real server
shows: uvicorn's handling of forwarded headers, and limits shared between processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port

DSR = Path(sys.executable).with_name("dsr")


class LiveServer:
    def __init__(self, database_url: str, workdir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.env = {
            **os.environ,
            "DSR_DATABASE_URL": database_url,
            "DSR_SECRET_KEY": "live-server-test-secret",
            "DSR_VAR_DIR": str(workdir),
            "DSR_SMTP_PORT": str(free_port()),  # nothing listens: no worker runs
            **env,
        }
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"serve-{self.port}.log"

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            str(DSR), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(self.port),
            env=self.env, cwd=self.workdir, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as c:
            for _ in range(300):
                if self.proc.returncode is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    if (await c.get("/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        await self.stop()
        pytest.fail(f"dsr serve did not become ready:\n{self.log_path.read_text()[-3000:]}")

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
