from __future__ import annotations

from fastapi.templating import Jinja2Templates

from dsr.resources import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))
# Requester-facing text added with the DRP verification page is marked for translation; null
# translations until the languages work installs real catalogues.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
