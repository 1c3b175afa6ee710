"""`make i18n-check`: fail when a catalog is stale, untranslated or fuzzy.

Extracts the source strings afresh (same options as `make i18n-extract`) and
compares every translations/<lang>/LC_MESSAGES/messages.po with them.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
EXTRACT_ARGS = ["-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2",
                "--ignore-dirs=.* .venv node_modules build", "--no-location"]


def extract_source_ids() -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        CommandLineInterface().run(["pybabel", "--quiet", "extract", *EXTRACT_ARGS, "-o", str(pot), str(ROOT)])
        with pot.open("rb") as handle:
            return {_key(m.id) for m in read_po(handle) if m.id}


def _key(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def catalog_problems(source_ids: set[str] | None = None) -> dict[str, list[str]]:
    """{language: [problem, ...]} for every catalog that is not complete and current."""
    source_ids = extract_source_ids() if source_ids is None else source_ids
    problems: dict[str, list[str]] = {}
    for po_path in sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po")):
        language = po_path.parts[-3]
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        found: list[str] = []
        present = {_key(m.id) for m in catalog if m.id}
        for missing in sorted(source_ids - present):
            found.append(f"missing: {missing!r}")
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
            if not all(strings):
                found.append(f"untranslated: {_key(message.id)!r}")
            if message.fuzzy:
                found.append(f"fuzzy: {_key(message.id)!r}")
        for stale in sorted(present - source_ids):
            found.append(f"obsolete (run make i18n-update): {stale!r}")
        if found:
            problems[language] = found
    return problems


def form_message_problems(languages) -> dict[str, list[str]]:
    """WTForms' own messages: each shipped language needs WTForms' catalog or a complete one of ours."""
    from wtforms.i18n import messages_path

    problems: dict[str, list[str]] = {}
    with (Path(messages_path()) / "wtforms.pot").open("rb") as handle:
        wanted = {_key(m.id) for m in read_po(handle) if m.id}
    for language in languages:
        ours = ROOT / "translations" / language / "LC_MESSAGES" / "wtforms.po"
        if language == "en" or (Path(messages_path()) / language / "LC_MESSAGES" / "wtforms.mo").exists():
            continue
        if not ours.exists():
            problems[language] = [f"WTForms has no {language} catalog: add {ours.relative_to(ROOT)}"]
            continue
        with ours.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        done = {_key(m.id) for m in catalog if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])}
        missing = sorted(wanted - done)
        if missing:
            problems[language] = [f"wtforms.po untranslated: {m!r}" for m in missing]
    return problems


def main() -> int:
    from marketplace.config import BaseConfig

    problems = catalog_problems()
    problems.update(form_message_problems(BaseConfig.LANGUAGES))
    for language, found in problems.items():
        print(f"{language}: {len(found)} problem(s)")
        for line in found[:50]:
            print(f"  {line}")
    if not problems:
        print("All catalogs are complete and current.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
