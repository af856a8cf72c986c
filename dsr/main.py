"""create_app(settings): the composition root."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from dsr import error_handlers
from dsr.appeals.router import router as appeals_router
from dsr.auth.router import router as auth_router
from dsr.cases.actions_router import router as actions_router
from dsr.cases.public_api import router as public_router
from dsr.cases.router import router as cases_router
from dsr.consent.router import router as consent_router
from dsr.db.engine import make_engine, make_sessionmaker
from dsr.drp import router as drp
from dsr.form_encoding import StrictFormEncoding
from dsr.fulfilment.package_router import router as package_router
from dsr.fulfilment.router import router as tasks_router
from dsr.middleware import BodySizeLimit, SecurityHeaders
from dsr.notifications.router import router as notifications_router
from dsr.ratelimit import RateLimiter, shared_counter
from dsr.reports.router import router as reports_router
from dsr.settings import Settings
from dsr.web import setup as web_setup
from dsr.web.language import PageLanguage

log = logging.getLogger("dsr")

BULK_BODY_LIMIT = 16 * 1024 * 1024  # 10,000 consent records or eligibility keys per call
RESULTS_FRAMING = 1024 * 1024  # a multipart body's boundaries and other fields around the files


def create_app(settings: Settings | None = None, *, run_worker: bool = False) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        if run_worker:
            from dsr.worker import background_tasks

            tasks = background_tasks(factory, settings, app.state.outbox_wakeup)
        # What start-up built (routes, models, templates, SQLAlchemy's metadata and caches)
        # lives as long as the process: freeze it out of the collector's reach, so the full
        # collections that request allocations trigger every few hundred requests do not
        # re-scan it each time (they showed as tail latency in bench/intake.py).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await engine.dispose()
            await app.state.rate_limiter.close()

    app = FastAPI(
        title="dsr",
        summary="Data-subject-rights requests: intake, deadlines, case work, appeals, training eligibility",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    app.state.outbox_wakeup = asyncio.Event()
    # SQLite runs one transaction at a time (BEGIN IMMEDIATE) and lets waiters poll with growing
    # sleeps, so under load a late request can win over one that has waited a second. Requests
    # of this process take their turn here instead, first come first served. PostgreSQL runs
    # transactions side by side: no turn to take.
    app.state.transaction_turn = asyncio.Lock() if settings.is_sqlite else contextlib.nullcontext()
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_ip,
        settings.rate_limit_email,
        settings.rate_limit_login,
        per_drp_ip=settings.rate_limit_drp,
        shared=shared_counter(settings),
    )

    error_handlers.install(app)
    app.include_router(auth_router)
    app.include_router(public_router)
    app.include_router(package_router)
    app.include_router(actions_router)
    app.include_router(tasks_router)
    app.include_router(cases_router)
    app.include_router(notifications_router)
    app.include_router(appeals_router)
    app.include_router(consent_router)
    app.include_router(reports_router)
    app.include_router(drp.router)
    drp.install_errors(app)
    web_setup.install(app, settings)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("readiness check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    # Outermost first: headers on every response, then the body limit before anything reads it.
    app.add_middleware(PageLanguage)  # innermost: the public pages' language (README, "Languages")
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="dsr_session",
        max_age=settings.session_max_age_seconds,
        # Lax, not strict: a link in a staff e-mail must arrive with the session (strict drops it
        # and the login page then replaces the session). Unsafe methods still need the CSRF token.
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.add_middleware(StrictFormEncoding)  # inside the body limit: it sees only allowed bytes
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_body_bytes,
        overrides={
            "/api/v1/consents": BULK_BODY_LIMIT,
            "/api/v1/training": BULK_BODY_LIMIT,
            # A task's results, up to DSR_MAX_RESULT_BYTES, and the multipart framing around them:
            # from the task API, the owner's task page and the case page.
            "/api/v1/tasks/": settings.max_result_bytes + RESULTS_FRAMING,
            "/tasks/": settings.max_result_bytes + RESULTS_FRAMING,
            "/console/tasks/": settings.max_result_bytes + RESULTS_FRAMING,
            # An agent's signed permission (dsr.cases.proofs), over the API and the upload page;
            # raised only once a route has checked the agent's link.
            "/api/v1/requests/": settings.max_proof_bytes + RESULTS_FRAMING,
            "/requests/": settings.max_proof_bytes + RESULTS_FRAMING,
        },
    )
    app.add_middleware(SecurityHeaders)
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn factory for multi-process serving (`dsr serve --workers N --no-worker`)."""
    return create_app(Settings())


def create_app_with_worker() -> FastAPI:
    return create_app(Settings(), run_worker=True)
