from __future__ import annotations

from fastapi.templating import Jinja2Templates

from dsr.resources import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))
