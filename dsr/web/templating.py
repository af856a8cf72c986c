from __future__ import annotations

from fastapi.templating import Jinja2Templates

from dsr.paths import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))
