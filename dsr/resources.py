"""Where the files dsr reads at run time live (templates, config/, alembic/): beside the package,
in the repository or the image."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
# The pages' style sheets and script, served at /static (a CSP without inline script or style).
STATIC = ROOT / "static"
