from __future__ import annotations

from fastapi.templating import Jinja2Templates

from dsr.resources import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))
# Requester-facing pages mark their text with {% trans %} / _(): the i18n extension with null
# translations (English as written) until the pages' catalogues are installed.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
