"""One form engine: a definition (data, see docs/forms.md) becomes Flask-WTF fields, validation,
the check-answers rows and the officials' read-only view.

Each field type is an entry of FIELD_TYPES (a registry, so a new type is one class): it checks its
part of a definition, builds the WTForms field with HTML5 attributes that mirror the server-side
rules, turns the submitted data into a JSON answer, and displays an answer in a locale.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
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

from marketplace.core.bidi import isolate, left_to_right
from marketplace.core.errors import DomainError
from marketplace.core.forms import Form, LocalDecimalField, MayBeLeftEmpty
from marketplace.core.money import Money
from marketplace.core.phone import normalise_phone
from marketplace.egov import conditions
from marketplace.egov.attachments import MAX_ATTACHMENT_BYTES
from marketplace.i18n import format_day

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class DefinitionError(DomainError):
    """A definition that cannot be published; `reasons` says every problem found."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


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


# --- definitions ---------------------------------------------------------------------------

def fee_of(definition: dict) -> Money | None:
    """The service's fee, in its own currency or the deployment's: the one reading of `fee` that
    the start page, the check-answers page, the application and the definition check share."""
    fee = definition.get("fee")
    if not fee:
        return None
    return Money.from_decimal(str(fee["amount"]), fee.get("currency") or current_app.config["DEFAULT_CURRENCY"])


def validate_definition(definition: Any) -> None:
    """Raise DefinitionError listing every problem; a definition that passes can be published."""
    if not isinstance(definition, dict):
        raise DefinitionError(["the definition must be a JSON object"])
    reasons = _header_problems(definition)
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        raise DefinitionError([*reasons, "steps must be a non-empty list"])
    seen: dict[str, dict] = {}  # earlier questions, which show_if may name
    for number, step in enumerate(steps, start=1):
        fields = step.get("fields") if isinstance(step, dict) else None
        if not isinstance(fields, list) or not fields:
            reasons.append(f"step {number} has no fields")
            continue
        reasons.extend(f"step {number}: {problem}" for problem in _agent_text_problems(step))
        for spec in fields:
            reasons.extend(_field_problems(number, spec, seen))
    if reasons:
        raise DefinitionError(reasons)


def _header_problems(definition: dict) -> list[str]:
    reasons = []
    if not text(definition.get("title"), "en"):
        reasons.append("title needs at least an English text ('en')")
    if definition.get("fee") is not None:
        try:
            fee = fee_of(definition)
            if fee is None or fee.minor_units <= 0:
                raise ValueError
        except (ValueError, InvalidOperation, AttributeError, TypeError, KeyError):
            reasons.append("fee.amount must be a positive amount in the fee's currency")
    if not isinstance(definition.get("target_days", 0), int) or definition.get("target_days", 0) < 0:
        reasons.append("target_days must be a whole number of days")
    return reasons


def _field_problems(step_number: int, spec: Any, seen: dict[str, dict]) -> list[str]:
    """What is wrong with one question; a question with a usable name is added to `seen`."""
    name = spec.get("name", "") if isinstance(spec, dict) else ""
    where = f"step {step_number}, field '{name or '?'}'"
    if not NAME.match(name):
        return [f"{where}: name must be lower-case letters, digits and _"]
    reasons = [f"{where}: the name is used twice"] if name in seen else []
    kind = FIELD_TYPES.get(spec.get("type", ""))
    if kind is None:
        return [*reasons, f"{where}: unknown type '{spec.get('type')}' (one of {', '.join(sorted(FIELD_TYPES))})"]
    if not text(spec.get("label"), "en"):
        reasons.append(f"{where}: label needs an English text")
    reasons.extend(f"{where}: {problem}" for problem in _agent_text_problems(spec))
    reasons.extend(f"{where}: {problem}" for problem in kind.check(spec))
    if spec.get("show_if") is not None:
        reasons.extend(f"{where}: show_if: {problem}" for problem in conditions.problems(spec["show_if"], set(seen)))
    if spec.get("constraint") is not None:
        reasons.extend(f"{where}: constraint: {problem}" for problem in conditions.problems(spec["constraint"], {*seen, name}))
    if isinstance(spec.get("choice_filter"), dict) and spec["choice_filter"].get("field") not in seen:
        reasons.append(f"{where}: choice_filter must name an earlier question")
    prefill = spec.get("prefill")
    if prefill is not None and prefill not in context_prefill_sources():
        reasons.append(f"{where}: unknown prefill source '{prefill}'")
    seen[name] = spec
    return reasons


def _agent_text_problems(spec: dict) -> list[str]:
    """`label_for_agent` and its kind name the applicant: an English text holding {name}, and no
    language the plain text lacks (it would show an agent another language than the question)."""
    reasons = []
    for key in ("title", "label", "help"):
        addressed_text = spec.get(f"{key}_for_agent")
        if addressed_text is None:
            continue
        if not isinstance(addressed_text, dict) or "{name}" not in text(addressed_text, "en"):
            reasons.append(f"{key}_for_agent needs an English text with {{name}} in it")
        elif set(addressed_text) - set(spec.get(key) or {}):
            reasons.append(f"{key}_for_agent has languages {key} has not: {', '.join(sorted(set(addressed_text) - set(spec.get(key) or {})))}")
    return reasons


def context_prefill_sources() -> frozenset[str]:
    from marketplace.egov.prefill import PREFILL_SOURCES

    return frozenset(PREFILL_SOURCES)


def is_shown(spec: dict, answers: dict) -> bool:
    return conditions.holds(spec.get("show_if"), answers)


def steps(definition: dict) -> list[dict]:
    return definition["steps"]


def shown_fields(definition: dict, step_index: int, answers: dict) -> list[dict]:
    return [spec for spec in steps(definition)[step_index]["fields"] if is_shown(spec, answers)]


def page_fields(definition: dict, step_index: int, answers: dict, formdata=None) -> list[dict]:
    """The questions on a step's page. A question that depends on another question of the same
    page is shown when the page is first drawn (phones without JavaScript cannot reveal it) and
    judged on the posted answer when the page comes back."""
    specs = steps(definition)[step_index]["fields"]
    on_page = {spec["name"] for spec in specs}
    seen = _seen(specs, answers, formdata)
    shown = []
    for spec in specs:
        if conditions.fields_named(spec.get("show_if")) & on_page and formdata is None or is_shown(spec, seen):
            shown.append(spec)
    return shown


def _seen(specs: list[dict], answers: dict, formdata) -> dict:
    """The answers so far with what this page posted (when it did)."""
    seen = dict(answers)
    if formdata is not None:
        for spec in specs:
            if spec["name"] in formdata:
                multiple = spec["type"] == "multiple_choice"
                seen[spec["name"]] = formdata.getlist(spec["name"]) if multiple else formdata.get(spec["name"])
    return seen


def offered_choices(spec: dict, answers: dict) -> list[dict]:
    """A choice question's choices given the answers so far: with a `choice_filter`, only those whose
    filter column holds the named question's answer (cascading lists: the villages of the district
    chosen); all of them while that question is unanswered, and the server judges the posted answer."""
    choices = spec.get("choices") or []
    narrowing = spec.get("choice_filter")
    wanted = answers.get(narrowing["field"]) if narrowing else None
    if not narrowing or wanted in (None, "", []):
        return choices
    return [choice for choice in choices if str((choice.get("filters") or {}).get(narrowing["column"], "")) == str(wanted)]


def shown_steps(definition: dict, answers: dict) -> list[int]:
    """Steps with at least one question to ask, given the answers so far."""
    return [i for i in range(len(steps(definition))) if shown_fields(definition, i, answers)]


# --- forms ---------------------------------------------------------------------------------

@dataclass
class BuildContext:
    """What some field types need from outside the definition (kept out so the engine is testable)."""

    villages: Callable[[], list] = lambda: []
    village_name: Callable[[int], str] = lambda village_id: str(village_id)
    #: Set when someone fills the form for another person (an agent for a resident): texts that
    #: have a `…_for_agent` version address that person by name ("About Achieng" for "About you").
    applicant_name: str | None = None


def addressed(spec: dict, key: str, locale: str, context: BuildContext) -> str:
    """A definition's text (`title`, `label`, `help`) as the person filling in should read it: its
    `<key>_for_agent` version with the applicant's name when an agent fills it, else the text itself.
    The name is isolated (FSI…PDI) so an Arabic label keeps a Latin name in its place."""
    if context.applicant_name and spec.get(f"{key}_for_agent"):
        return text(spec[f"{key}_for_agent"], locale).replace("{name}", isolate(context.applicant_name))
    return text(spec.get(key), locale)


def step_form(definition: dict, step_index: int, answers: dict, locale: str, context: BuildContext, formdata=None,
              csrf: bool = True) -> Form:
    """A Flask-WTF form for one step, showing only the questions whose show-if holds."""
    fields = {}
    seen = _seen(steps(definition)[step_index]["fields"], answers, formdata)
    for spec in page_fields(definition, step_index, answers, formdata):
        if spec.get("choice_filter"):
            spec = {**spec, "choices": offered_choices(spec, seen)}
        unbound = FIELD_TYPES[spec["type"]].build(spec, locale, context)
        unbound.kwargs["label"] = addressed(spec, "label", locale, context)
        unbound.kwargs["description"] = addressed(spec, "help", locale, context)
        if spec.get("required") and spec["type"] != "file":
            unbound.kwargs.setdefault("render_kw", {})["required"] = True
        fields[spec["name"]] = unbound
    form_class = type("StepForm", (Form,), fields)
    # csrf=False only for forms that arrive signed by a device token (egov.field_filing), never a browser's
    form = form_class(formdata=formdata, data=_form_data(definition, step_index, answers), **({} if csrf else {"meta": {"csrf": False}}))
    return form


def _form_data(definition: dict, step_index: int, answers: dict) -> dict:
    data = {}
    for spec in steps(definition)[step_index]["fields"]:
        value = answers.get(spec["name"], spec.get("default"))
        if value is None or spec["type"] in ("file", "note"):
            continue
        if spec["type"] in ("number",):
            data[spec["name"]] = Decimal(value)
        elif spec["type"] == "money":
            data[spec["name"]] = Money(current_app.config["DEFAULT_CURRENCY"], int(value)).as_decimal()
        elif spec["type"] == "date":
            data[spec["name"]] = date.fromisoformat(value)
        elif spec["type"] == "village":
            data[spec["name"]] = str(value)
        else:
            data[spec["name"]] = value
    return data


def read_step(definition: dict, step_index: int, form: Form, answers: dict) -> dict:
    """The step's answers as JSON values (files are handled by egov.attachments). Raises
    ValidationError through the form's errors when a type's conversion refuses the value."""
    new = {}
    for spec in steps(definition)[step_index]["fields"]:
        if spec["type"] in ("file", "note") or spec["name"] not in form:
            continue
        bound = form[spec["name"]]
        try:
            new[spec["name"]] = FIELD_TYPES[spec["type"]].to_answer(bound.data, spec)
        except (ValidationError, DomainError) as error:
            bound.errors = list(bound.errors) + [str(getattr(error, "message", error))]
    for name, problem in constraint_failures(definition, step_index, {**answers, **new}, only=set(new)):
        form[name].errors = list(form[name].errors) + [problem]
    return new


def constraint_failures(definition: dict, step_index: int, answers: dict, only: set[str] | None = None) -> list[tuple[str, str]]:
    """The step's answers that break their question's `constraint` (an unanswered question breaks
    none, as in XLSForm), each with the definition's message in the request's language."""
    from flask_babel import get_locale

    failures = []
    for spec in steps(definition)[step_index]["fields"]:
        name, condition = spec["name"], spec.get("constraint")
        if condition is None or (only is not None and name not in only) or answers.get(name) in (None, "", []):
            continue
        if not conditions.holds(condition, answers):
            message = text(spec.get("constraint_message"), str(get_locale() or "en")) or str(_l("This answer is not allowed here."))
            failures.append((name, message))
    return failures


def drop_hidden(definition: dict, answers: dict) -> dict:
    """Answers to questions no longer shown (an earlier answer changed) are not kept."""
    shown = {spec["name"] for i in range(len(steps(definition))) for spec in shown_fields(definition, i, answers)}
    return {name: value for name, value in answers.items() if name in shown}


def missing_answers(definition: dict, answers: dict, files: dict[str, int]) -> list[tuple[int, dict]]:
    """Required questions still unanswered, with their step: what stops a submission."""
    missing = []
    for index in range(len(steps(definition))):
        for spec in shown_fields(definition, index, answers):
            if not spec.get("required"):
                continue
            given = files.get(spec["name"], 0) if spec["type"] == "file" else answers.get(spec["name"])
            if given in (None, "", [], 0):
                missing.append((index, spec))
    return missing


@dataclass
class AnswerRow:
    step_index: int
    name: str
    label: str
    value: str
    is_file: bool = False
    prefilled: bool = False
    edited: bool = False
    files: list = field(default_factory=list)


def answer_rows(definition: dict, answers: dict, locale: str, context: BuildContext,
                attachments: list | None = None, prefilled: dict | None = None) -> list[AnswerRow]:
    """What was answered, in order, as people read it: check-your-answers and the officials' view."""
    prefilled = prefilled or {}
    rows = []
    for index in range(len(steps(definition))):
        for spec in shown_fields(definition, index, answers):
            name = spec["name"]
            kind = FIELD_TYPES[spec["type"]]
            if not kind.answers:
                continue
            row = AnswerRow(index, name, addressed(spec, "label", locale, context),
                            kind.display(answers.get(name), spec, locale, context), is_file=spec["type"] == "file")
            if row.is_file:
                row.files = [a for a in (attachments or []) if a.field == name]
            if name in prefilled:
                row.prefilled = True
                row.edited = prefilled[name] != answers.get(name)
            rows.append(row)
    return rows
