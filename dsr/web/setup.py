from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dsr.resources import STATIC
from dsr.settings import Settings
from dsr.web import console, package_page, public, public_form, public_status, task_page
from dsr.web.templating import templates

TITLES = {
    400: "Something is wrong with the request",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too much text",
    422: "Please check what you entered",
    429: "Too many requests",
}


def install(app: FastAPI, settings: Settings) -> None:
    def render_error(request: Request, status: int, message: str) -> HTMLResponse:
        title = TITLES.get(status, "Something went wrong")
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
    console.install(app, settings)
