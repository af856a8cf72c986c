"""`python -m dsr.i18n.revive`: after `pybabel update`, give back each obsolete (#~) translation
whose msgid the templates use again. pybabel keeps obsolete entries but never reuses them; dsr
also keeps translations ready for text not yet marked (README, "Languages")."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from dsr.i18n.catalogues import DOMAIN, LOCALE_DIR


def revive(directory: Path = LOCALE_DIR) -> int:
    """Returns how many entries came back."""
    revived = 0
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        changed = False
        for key, old in list(catalog.obsolete.items()):
            current = catalog.get(old.id, old.context)
            if current is not None and (not current.string or current.fuzzy):
                current.string = old.string
                current.flags.discard("fuzzy")
                del catalog.obsolete[key]
                changed = True
                revived += 1
            elif current is not None:  # translated meanwhile: the obsolete copy is stale
                del catalog.obsolete[key]
                changed = True
        if changed:
            with po.open("wb") as fh:
                write_po(fh, catalog, width=76, no_location=True, sort_output=True)
    return revived


if __name__ == "__main__":
    print(f"{revive()} translation(s) revived", file=sys.stderr)
