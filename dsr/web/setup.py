from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dsr.notifications.catalogue import N_
from dsr.resources import STATIC
from dsr.settings import Settings
from dsr.web import (
    agent_proof_page,
    console,
    drp_page,
    package_page,
    public,
    public_form,
    public_status,
    task_page,
)
from dsr.web.templating import templates

# Marked for the catalogues: the public error page shows them in the page's language.
TITLES = {
    400: N_("Something is wrong with the request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Conflict"),
    413: N_("Too much text"),
    422: N_("Please check what you entered"),
    429: N_("Too many requests"),
}


def install(app: FastAPI, settings: Settings) -> None:
    def render_error(request: Request, status: int, message: str) -> HTMLResponse:
        title = TITLES.get(status, N_("Something went wrong"))
        if request.url.path.startswith("/console"):
            return console.render_error(request, status, title, message)
        return templates.TemplateResponse(
            request, "error.html", {"title": title, "message": message}, status_code=status
        )

    app.state.render_error = render_error
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(public_form.router)
    app.include_router(public.router)
    app.include_router(public_status.router)
    app.include_router(package_page.router)
    app.include_router(task_page.router)
    app.include_router(agent_proof_page.router)
    app.include_router(drp_page.router)
    console.install(app, settings)
