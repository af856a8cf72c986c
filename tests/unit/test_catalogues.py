"""The message catalogues (README, "Languages"): complete, not fuzzy, placeholders kept, and the
template (.pot) up to date with what the templates and code mark for translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from dsr.i18n.catalogues import LOCALE_DIR, compile_catalogues, translations
from dsr.resources import ROOT

FULL = ["fr", "de", "es"]  # every msgid translated
REGIONAL = ["fr_CA"]  # only where Quebec usage differs; the rest falls back to fr
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def po(loc: str) -> Catalog:
    return catalog(LOCALE_DIR / loc / "LC_MESSAGES" / "messages.po")


def ids(cat: Catalog) -> set[object]:
    return {m.id for m in cat if m.id}


def strings(value: object) -> list[str]:
    return list(value) if isinstance(value, tuple) else [str(value or "")]


@pytest.mark.parametrize("loc", FULL + REGIONAL)
def test_every_entry_is_translated_and_not_fuzzy(loc: str) -> None:
    pot_ids = ids(catalog(LOCALE_DIR / "messages.pot"))
    cat = po(loc)
    if loc in FULL:
        assert ids(cat) == pot_ids, "run pybabel update (README, Languages)"
    else:
        assert ids(cat) <= pot_ids, "fr_CA has entries no template uses any more"
    for m in cat:
        if not m.id:
            continue
        assert not m.fuzzy, f"{loc}: fuzzy {m.id!r}"
        assert all(strings(m.string)), f"{loc}: untranslated {m.id!r}"
        for msgid, msgstr in zip(strings(m.id), strings(m.string), strict=False):
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (
                f"{loc}: placeholders differ in {msgid!r}"
            )


def test_pot_is_up_to_date_with_the_templates(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(fresh),
            "--no-location",
            "--sort-output",
            "--project",
            "dsr",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert ids(catalog(fresh)) == ids(catalog(LOCALE_DIR / "messages.pot")), (
        "messages.pot is out of date: run pybabel extract (README, Languages)"
    )


def test_compiled_catalogues_translate_and_quebec_falls_back_to_french(tmp_path: Path) -> None:
    # Compiling writes a .mo for each .po into the directory given (here a copy).
    for loc in FULL + REGIONAL:
        target = tmp_path / loc / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "messages.po").write_bytes(
            (LOCALE_DIR / loc / "LC_MESSAGES" / "messages.po").read_bytes()
        )
    written = compile_catalogues(tmp_path)
    assert sorted(p.parent.parent.name for p in written) == sorted(FULL + REGIONAL)
    assert compile_catalogues(tmp_path) == []  # up to date: nothing rewritten
    # fr-CA: its own word where Quebec differs, French everywhere else.
    assert translations("fr-CA").gettext("Language of our e-mails to you") == (
        "Langue de nos courriels"
    )
    assert translations("fr").gettext("Language of our e-mails to you") == "Langue de nos e-mails"
    assert translations("fr-CA").gettext("Send my appeal") == "Envoyer mon recours"
    assert translations("en").gettext("Send my appeal") == "Send my appeal"


def test_missing_compiled_catalogues_fall_back_to_the_po_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only install without .mo files still speaks French, and says so once."""
    from dsr.i18n import catalogues

    for loc in ("fr", "fr_CA"):
        target = tmp_path / loc / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "messages.po").write_bytes(
            (LOCALE_DIR / loc / "LC_MESSAGES" / "messages.po").read_bytes()
        )
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    catalogues.translations.cache_clear()
    catalogues._warn_missing_once.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="dsr.i18n.catalogues"):
            assert catalogues.translations("fr").gettext("Send my appeal") == "Envoyer mon recours"
            assert catalogues.translations("fr-CA").gettext("Language of our e-mails to you") == (
                "Langue de nos courriels"
            )
        warnings = [r for r in caplog.records if "compiled catalogues missing" in r.message]
        assert len(warnings) == 1
        assert not list(tmp_path.glob("*/LC_MESSAGES/*.mo"))  # nothing written: read-only
    finally:
        catalogues.translations.cache_clear()


def test_kept_translations_come_back_when_their_text_is_marked(tmp_path: Path) -> None:
    """Translations kept as obsolete entries (text another change marks) are reused once the
    msgid is extracted, where pybabel update alone would leave it empty or guess fuzzily."""
    from babel.messages.pofile import write_po

    from dsr.i18n.revive import revive

    # The real French catalogue, with a translated msgid set aside as obsolete the way a kept
    # translation waits for its text to be marked (the shipped ones get marked in time, so
    # the test makes its own rather than depend on which are still waiting).
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    fr = po("fr")
    kept = fr["Where do you live?"]
    assert kept.string
    del fr["Where do you live?"]
    fr.obsolete["Where do you live?"] = Message("Where do you live?", kept.string)
    with (target / "messages.po").open("wb") as fh:
        write_po(fh, fr)
    pot = catalog(LOCALE_DIR / "messages.pot")
    assert pot.get("Where do you live?") is not None
    with (tmp_path / "messages.pot").open("wb") as fh:
        write_po(fh, pot)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "update",
            "-i",
            str(tmp_path / "messages.pot"),
            "-d",
            str(tmp_path),
            "-D",
            "messages",
            "-l",
            "fr",
        ],
        check=True,
        capture_output=True,
    )
    assert revive(tmp_path) >= 1
    fr = catalog(target / "messages.po")
    entry = fr.get("Where do you live?")
    assert entry is not None
    assert entry.string == kept.string
    assert not entry.fuzzy
    assert "Where do you live?" not in fr.obsolete


def test_a_compiled_catalogue_older_than_its_po_file_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A translation edited after the last compile is what the page says, not the stale .mo."""
    import os

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    from dsr.i18n import catalogues

    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    old = Catalog(locale="fr")
    old.add("Send my appeal", "Ancienne traduction")
    with (target / "messages.mo").open("wb") as fh:
        write_mo(fh, old)
    new = Catalog(locale="fr")
    new.add("Send my appeal", "Envoyer mon recours")
    with (target / "messages.po").open("wb") as fh:
        write_po(fh, new)
    os.utime(target / "messages.mo", (1_000_000, 1_000_000))  # compiled long before the edit
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    catalogues.translations.cache_clear()
    try:
        assert catalogues.translations("fr").gettext("Send my appeal") == "Envoyer mon recours"
        os.utime(target / "messages.mo")  # compiled again after the edit: the .mo is used
        catalogues.translations.cache_clear()
        assert catalogues.translations("fr").gettext("Send my appeal") == "Ancienne traduction"
    finally:
        catalogues.translations.cache_clear()
