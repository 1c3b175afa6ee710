"""One form engine: a definition (data, see docs/forms.md) becomes Flask-WTF fields, validation,
the check-answers rows and the officials' read-only view.

The field types are egov.field_types' registry (FIELD_TYPES); conditions (show_if, constraint) are
egov.conditions'. This module checks definitions, lays out pages and reads and shows answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

from marketplace.core.bidi import isolate
from marketplace.core.errors import DomainError
from marketplace.core.forms import Form
from marketplace.core.money import Money
from marketplace.egov import conditions
from marketplace.egov.field_types import FIELD_TYPES, BuildContext, text

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class DefinitionError(DomainError):
    """A definition that cannot be published; `reasons` says every problem found."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


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
    if not NAME.fullmatch(name):
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
