"""The form engine's field types: each is an entry of FIELD_TYPES (a registry, so a new type is one
class). A type checks its part of a definition, builds the WTForms field with HTML5 attributes that
mirror the server-side rules, turns the submitted data into a JSON answer, and displays an answer
in a locale. egov.form_engine puts them together into pages, checks and answers.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision
from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Regexp

from marketplace.core.bidi import left_to_right
from marketplace.core.errors import DomainError
from marketplace.core.forms import LocalDecimalField, MayBeLeftEmpty
from marketplace.core.money import Money
from marketplace.core.phone import normalise_phone
from marketplace.egov.attachments import MAX_ATTACHMENT_BYTES
from marketplace.i18n import format_day


@dataclass
class BuildContext:
    """What some field types need from outside the definition (kept out so the engine is testable)."""

    villages: Callable[[], list] = lambda: []
    village_name: Callable[[int], str] = lambda village_id: str(village_id)
    #: Set when someone fills the form for another person (an agent for a resident): texts that
    #: have a `…_for_agent` version address that person by name ("About Achieng" for "About you").
    applicant_name: str | None = None



def text(value: Any, locale: str) -> str:
    """A per-locale text ({"en": …, "es": …}) in `locale`, else English, else the first given."""
    if isinstance(value, dict):
        return value.get(locale) or value.get(locale.split("_")[0]) or value.get("en") or next(iter(value.values()), "")
    return value or ""


# --- field types ---------------------------------------------------------------------------

class FieldType:
    name = ""
    takes_choices = False
    answers = True  # every type but a note takes an answer

    def check(self, spec: dict) -> list[str]:
        return []

    def build(self, spec: dict, locale: str, context: BuildContext):
        raise NotImplementedError

    def to_answer(self, data: Any, spec: dict) -> Any:
        return data

    def display(self, value: Any, spec: dict, locale: str, context: BuildContext) -> str:
        return "" if value in (None, "", []) else str(value)

    @staticmethod
    def required(spec: dict) -> list:
        return [DataRequired(message=_required_message(spec))] if spec.get("required") else [MayBeLeftEmpty()]

    @staticmethod
    def required_input(spec: dict) -> list:
        """For typed values (numbers, dates): something typed that does not parse gets the type's own
        message ('Not a valid date'), not 'Answer this question'."""
        return [InputRequired(message=_required_message(spec))] if spec.get("required") else [MayBeLeftEmpty()]


def _required_message(spec: dict) -> Any:
    """The definition's own words for a missing answer (XLSForm's required_message), else ours."""
    own = spec.get("required_message")
    if own:
        return _LocalText(own)
    return _l("Answer this question.")


class _LocalText:
    """A per-locale text read in the language of the request that shows it (like lazy_gettext)."""

    def __init__(self, texts: Any) -> None:
        self.texts = texts

    def __str__(self) -> str:
        from flask_babel import get_locale

        return text(self.texts, str(get_locale() or "en"))


class ShortText(FieldType):
    name = "short_text"
    widget_field = StringField

    def check(self, spec):
        problems = []
        if "pattern" in spec:
            try:
                re.compile(spec["pattern"])
            except re.error as error:
                problems.append(f"pattern does not compile: {error}")
        if int(spec.get("min_length", 0)) > int(spec.get("max_length", 10_000)):
            problems.append("min_length is above max_length")
        return problems

    def build(self, spec, locale, context):
        validators = self.required(spec)
        max_length = int(spec.get("max_length", 500 if self.name == "short_text" else 5000))
        min_length = int(spec.get("min_length", 0))
        validators.append(Length(min=min_length or -1, max=max_length))
        render = {"maxlength": max_length}
        if min_length:
            render["minlength"] = min_length
        if spec.get("pattern"):
            validators.append(Regexp(f"^(?:{spec['pattern']})$", message=text(spec.get("pattern_message"),
                                                                              locale) or _l("Check the format of this answer.")))
            render["pattern"] = spec["pattern"]
        return self.widget_field(render_kw=render, validators=validators)

    def to_answer(self, data, spec):
        return (data or "").strip()


class LongText(ShortText):
    name = "long_text"
    widget_field = TextAreaField


class Number(FieldType):
    name = "number"

    def check(self, spec):
        if "min" in spec and "max" in spec and Decimal(str(spec["min"])) > Decimal(str(spec["max"])):
            return ["min is above max"]
        return []

    def build(self, spec, locale, context):
        validators = self.required_input(spec)
        low, high = spec.get("min"), spec.get("max")
        if low is not None or high is not None:
            validators.append(NumberRange(min=low, max=high))
        if spec.get("whole"):
            validators.append(_whole_number)
        render = {"inputmode": "numeric" if spec.get("whole") else "decimal",
                  **({"min": low} if low is not None else {}), **({"max": high} if high is not None else {})}
        return LocalDecimalField(places=self.places(), render_kw=render, validators=validators)

    def places(self) -> int:
        return 6

    def to_answer(self, data, spec):
        return None if data is None else format(data.normalize(), "f")

    def display(self, value, spec, locale, context):
        return "" if value in (None, "") else format_decimal(Decimal(value))


def _whole_number(_form, answer) -> None:
    if answer.data is not None and answer.data != answer.data.to_integral_value():
        raise ValidationError(_l("Enter a whole number."))


class MoneyAmount(Number):
    """Typed in major units; stored as integer minor units of the site's currency."""

    name = "money"

    def places(self) -> int:
        return get_currency_precision(current_app.config["DEFAULT_CURRENCY"])

    def to_answer(self, data, spec):
        if data is None:
            return None
        try:
            return Money.from_decimal(data, current_app.config["DEFAULT_CURRENCY"]).minor_units
        except (ValueError, InvalidOperation):
            raise ValidationError(_l("Enter the amount with at most the currency's decimal places.")) from None

    def display(self, value, spec, locale, context):
        from marketplace.i18n import money

        return "" if value is None else money(Money(current_app.config["DEFAULT_CURRENCY"], int(value)))


def _limit_date(value: str | None) -> date | None:
    if value is None:
        return None
    return date.today() if value == "today" else date.fromisoformat(value)


class DateAnswer(FieldType):
    name = "date"

    def check(self, spec):
        try:
            _limit_date(spec.get("min")), _limit_date(spec.get("max"))
        except ValueError:
            return ["min and max must be ISO dates (YYYY-MM-DD) or 'today'"]
        return []

    def build(self, spec, locale, context):
        validators = self.required_input(spec)
        low, high = _limit_date(spec.get("min")), _limit_date(spec.get("max"))

        def within(_form, answer):
            if answer.data and low and answer.data < low:
                raise ValidationError(_l("Enter a date on or after %(date)s.", date=format_day(low)))
            if answer.data and high and answer.data > high:
                raise ValidationError(_l("Enter a date on or before %(date)s.", date=format_day(high)))

        validators.append(within)
        render = {**({"min": low.isoformat()} if low else {}), **({"max": high.isoformat()} if high else {})}
        return DateField(render_kw=render, validators=validators)

    def to_answer(self, data, spec):
        return data.isoformat() if data else None

    def display(self, value, spec, locale, context):
        return format_day(date.fromisoformat(value), "long") if value else ""


class SingleChoice(FieldType):
    name = "single_choice"
    takes_choices = True

    def check(self, spec):
        choices = spec.get("choices") or []
        narrowing = spec.get("choice_filter")
        column = narrowing.get("column") if isinstance(narrowing, dict) else None
        # with a choice filter a value may repeat in other groups (King county of Texas and of Washington)
        keys = [(str((c.get("filters") or {}).get(column, "")) if column else "", c.get("value")) for c in choices if isinstance(c, dict)]
        if len(keys) < 2 or len(keys) != len(set(keys)) or not all(value for _group, value in keys):
            return ["needs at least two choices, each with a distinct value and a label"]
        if narrowing is not None and not (column and narrowing.get("field")):
            return ["choice_filter needs a 'column' of the choices and the 'field' whose answer it must hold"]
        return []

    def choices(self, spec, locale):
        return [(c["value"], text(c["label"], locale)) for c in spec["choices"]]

    def build(self, spec, locale, context):
        validators = [InputRequired(message=_l("Choose one."))] if spec.get("required") else [MayBeLeftEmpty()]
        return RadioField(choices=self.choices(spec, locale), validators=validators)

    def display(self, value, spec, locale, context):
        return dict(self.choices(spec, locale)).get(value, value or "")


class YesNo(SingleChoice):
    name = "yes_no"

    def check(self, spec):
        return []

    def choices(self, spec, locale):
        return [("yes", str(_l("Yes"))), ("no", str(_l("No")))]


class MultipleChoice(SingleChoice):
    name = "multiple_choice"

    def build(self, spec, locale, context):
        validators = [DataRequired(message=_l("Choose at least one."))] if spec.get("required") else [MayBeLeftEmpty()]
        return SelectMultipleField(choices=self.choices(spec, locale), validators=validators,
                                   widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())

    def to_answer(self, data, spec):
        return list(data or [])

    def display(self, value, spec, locale, context):
        names = dict(self.choices(spec, locale))
        return ", ".join(names.get(v, v) for v in value or [])


class PhoneAnswer(FieldType):
    name = "phone"

    def build(self, spec, locale, context):
        def valid_phone(_form, answer):
            if answer.data:
                try:
                    normalise_phone(answer.data)
                except DomainError as error:
                    raise ValidationError(str(error.message)) from None

        return TelField(render_kw={"autocomplete": "tel", "inputmode": "tel"}, validators=[*self.required(spec), valid_phone])

    def to_answer(self, data, spec):
        return normalise_phone(data) if data else ""

    def display(self, value, spec, locale, context):
        return left_to_right(str(value)) if value else ""


class EmailAnswer(FieldType):
    name = "email"

    def build(self, spec, locale, context):
        return EmailField(render_kw={"autocomplete": "email"},
                          validators=[*self.required(spec), Email(message=_l("Enter an email address like name@example.com."))])

    def to_answer(self, data, spec):
        return (data or "").strip().lower()


class VillageAnswer(FieldType):
    name = "village"

    def build(self, spec, locale, context):
        choices = [("", str(_l("Choose a village")))] + [
            (str(village_id), f"{name} ({group})") for group, villages in context.villages() for village_id, name in villages]
        validators = [DataRequired(message=_l("Choose a village."))] if spec.get("required") else [MayBeLeftEmpty()]
        return SelectField(choices=choices, validators=validators)

    def to_answer(self, data, spec):
        return int(data) if data else None

    def display(self, value, spec, locale, context):
        return context.village_name(value) if value else ""


class FileAnswer(FieldType):
    """Documents: PDF, JPEG or PNG, checked by content and size in egov.attachments."""

    name = "file"

    def build(self, spec, locale, context):
        return FileField(render_kw={"accept": "application/pdf,image/jpeg,image/png", "data-max-bytes": MAX_ATTACHMENT_BYTES})

    def display(self, value, spec, locale, context):
        return ""  # shown as links to the attachments


class NoteField(Field):  # type: ignore[misc]
    """Text shown between questions; nothing is typed and nothing is read back."""

    def __call__(self, **kwargs: Any) -> str:
        return ""

    def process_formdata(self, valuelist: list) -> None:
        self.data = None


class Note(FieldType):
    """XLSForm's `note`: the label (and help) is read; there is no answer."""

    name = "note"
    answers = False

    def check(self, spec):
        return ["a note cannot be required"] if spec.get("required") else []

    def build(self, spec, locale, context):
        return NoteField()


FIELD_TYPES: dict[str, FieldType] = {t.name: t for t in (
    ShortText(), LongText(), Number(), MoneyAmount(), DateAnswer(), SingleChoice(), MultipleChoice(), YesNo(),
    PhoneAnswer(), EmailAnswer(), VillageAnswer(), FileAnswer(), Note(),
)}
