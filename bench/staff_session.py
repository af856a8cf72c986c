"""What a server-side console session costs per request (issue 12, defect 2).

    .venv/bin/python -m bench.staff_session [--requests 500] [--postgres]

Starts `dsr serve --no-worker` (SQLite by default, or a throw-away PostgreSQL database), logs a
handler in through the console form, and times sequential requests on one keep-alive client:
GET /healthz (no session, no database: the floor), GET /console/account/mfa (a small console
page: the session looked up by its hash on every request), and the same page through a bearer
token's API sibling GET /api/v1/cases?limit=1 for comparison. Also times a wrong-password
login (the lockout's counter written in the request's transaction) against the argon2 check
that dominates it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import (
    Server,
    create_pg_database,
    database_url,
    drop_pg_database,
    dsr_command,
    machine,
    pct,
    unique_name,
)

EMAIL = "bench-handler@example.com"
PASSWORD = "bench password 123"


def timed(client: httpx.Client, method: str, url: str, n: int, **kw: object) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.request(method, url, **kw)  # type: ignore[arg-type]
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code < 500, r.text
    return out


def line(name: str, ms: list[float]) -> str:
    return f"{name:<48} p50 {pct(ms, 0.5):6.2f} ms  p95 {pct(ms, 0.95):6.2f} ms  n={len(ms)}"


def run(url: str, var: Path, n: int) -> None:
    server = Server(url, var, env={"DSR_RATE_LIMIT_LOGIN": "100000/minute",
                                   "DSR_LOGIN_LOCKOUT_THRESHOLD": "1000000"})  # fmt: skip
    server.start()
    try:
        subprocess.run(
            [dsr_command(), "users", "create", "--email", EMAIL, "--role", "handler",
             "--password", PASSWORD], env=server.env, check=True, capture_output=True,
        )  # fmt: skip
        with httpx.Client(base_url=server.base) as c:
            page = c.get("/console/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert csrf
            r = c.post("/console/login", data={"email": EMAIL, "password": PASSWORD,
                                                "csrf_token": csrf.group(1)})  # fmt: skip
            assert r.status_code == 303, r.text
            token = httpx.post(server.base + "/api/v1/auth/token",
                               data={"username": EMAIL, "password": PASSWORD}).json()["access_token"]  # fmt: skip
            timed(c, "GET", "/console/account/mfa", 20)  # warm up
            print(line("GET /healthz (floor)", timed(c, "GET", "/healthz", n)))
            print(line("GET /console/account/mfa (server-side session)",
                       timed(c, "GET", "/console/account/mfa", n)))  # fmt: skip
        with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}) as c:
            print(line("GET /api/v1/cases?limit=1 (bearer token)",
                       timed(c, "GET", "/api/v1/cases?limit=1", n)))  # fmt: skip
        with httpx.Client(base_url=server.base) as c:
            m = max(20, n // 10)
            wrong = {"username": EMAIL, "password": "not the password"}
            print(line("POST /api/v1/auth/token, wrong password (counted)",
                       timed(c, "POST", "/api/v1/auth/token", m, data=wrong)))  # fmt: skip
            unknown = {"username": "nobody@example.com", "password": "not the password"}
            print(line("POST /api/v1/auth/token, unknown account (counted)",
                       timed(c, "POST", "/api/v1/auth/token", m, data=unknown)))  # fmt: skip
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        if not args.postgres:
            print("SQLite")
            run(f"sqlite+aiosqlite:///{var / 'bench.sqlite3'}", var, args.requests)
            return
        name = unique_name("bench_session")
        asyncio.run(create_pg_database(name))
        try:
            print("PostgreSQL")
            run(database_url(name), var, args.requests)
        finally:
            asyncio.run(drop_pg_database(name))


if __name__ == "__main__":
    main()
