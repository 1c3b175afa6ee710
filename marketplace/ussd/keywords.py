"""The SMS command words, one gettext message each (context "sms command"), so every shipped
language has its own word and every word is recognised whatever the sender's setting."""
from __future__ import annotations

import unicodedata

from flask import current_app
from flask_babel import force_locale, lazy_pgettext

KEYWORDS = {
    "help": lazy_pgettext("sms command", "HELP"),
    "ready": lazy_pgettext("sms command", "READY"),
    "collected": lazy_pgettext("sms command", "COLLECTED"),
    "received": lazy_pgettext("sms command", "RECEIVED"),  # a collection point's manager: a farmer brought an order
    "status": lazy_pgettext("sms command", "STATUS"),
    "answer": lazy_pgettext("sms command", "ANSWER"),
}


def _fold(word: str) -> str:
    """Upper case without accents: PRÊT, PRET and pret are one keyword."""
    decomposed = unicodedata.normalize("NFKD", word.strip().upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def keyword(command: str, locale: str) -> str:
    with force_locale(locale):
        return str(KEYWORDS[command])


def recognise(text: str) -> tuple[str | None, list[str], str | None]:
    """(command, arguments, the language of the keyword) — command None if no keyword matches."""
    words = text.strip().split()
    if not words:
        return None, [], None
    first = _fold(words[0])
    for locale in current_app.config["LANGUAGES"]:
        for command in KEYWORDS:
            if _fold(keyword(command, locale)) == first:
                return command, words[1:], locale
    return None, words, None
