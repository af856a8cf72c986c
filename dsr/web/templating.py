from __future__ import annotations

from fastapi.templating import Jinja2Templates

from dsr.resources import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))
# Public text is marked for translation ({% trans %}, _()); the languages work replaces the null
# translations with real catalogues.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
