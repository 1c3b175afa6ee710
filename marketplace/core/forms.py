"""The base of every form: Flask-WTF's, with WTForms' own messages ("Not a valid date value.")
in every shipped language. WTForms ships catalogs for most of them; where it has none (Swahili)
ours in translations/<lang>/LC_MESSAGES/wtforms.po is used; ours wins where both exist."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import support
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField
from wtforms.i18n import messages_path
from wtforms.validators import Optional

from marketplace.core.idempotency import new_key
from marketplace.core.numbers import UnreadableNumber, as_typed, read_decimal


def _translations() -> Any:
    if not has_request_context():
        return None
    cached = getattr(request, "form_translations", None)
    if cached is None:
        locales = [get_locale()]
        ours = support.Translations.load(str(Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])), locales, domain="wtforms")
        theirs = support.Translations.load(messages_path(), locales, domain="wtforms")
        if isinstance(ours, support.Translations):
            ours.add_fallback(theirs)
            cached = ours
        else:
            cached = theirs
        request.form_translations = cached  # type: ignore[attr-defined]  # kept for this request only
    return cached


class _FormMessages:
    def gettext(self, string: str) -> str:
        translations = _translations()
        return string if translations is None else translations.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translations = _translations()
        if translations is None:
            return singular if n == 1 else plural
        return str(translations.ungettext(singular, plural, n))


FORM_MESSAGES = _FormMessages()


class MayBeLeftEmpty(Optional):  # type: ignore[misc]  # WTForms ships no types
    """A field a person may leave empty, and is told so: the field macro adds "(optional)" to its
    label. Plain `Optional` stays for fields that are needed in some cases only (a code *or* a PIN),
    where "(optional)" would mislead."""

    def __init__(self, strip_whitespace: bool = True) -> None:
        super().__init__(strip_whitespace)
        self.field_flags = {"optional": True, "may_be_left_empty": True}


class Form(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    class Meta:
        def get_translations(self, form: Any) -> _FormMessages:
            return FORM_MESSAGES


class OnceForm(Form):
    """A form that creates something: it carries a key issued with the form, so the service makes
    one thing however often the form is sent (core.idempotency). The key survives a re-render with
    errors, because it is posted back."""

    submission_key = HiddenField(default=new_key)


class LocalDecimalField(DecimalField):  # type: ignore[misc]  # WTForms ships no types
    """A number read the way the person's language writes it (core.numbers: "1,000" is a thousand
    in English, refused as two readings in French), shown back the same way. WTForms' own
    use_locale reads leniently, which is what turned "1,000" into 1."""

    def __init__(self, *args: Any, places: int = 3, **kwargs: Any) -> None:
        super().__init__(*args, places=None, **kwargs)
        self.max_places = places

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = read_decimal(valuelist[0], places=self.max_places)
        except UnreadableNumber as problem:
            self.data = None
            raise ValueError(str(problem.message)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return as_typed(self.data, places=self.max_places) if self.data is not None else ""
