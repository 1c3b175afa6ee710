"""XLSForm in and out: the spreadsheet format departments already write their forms in (ODK,
KoboToolbox, SurveyCTO), read into a definition (docs/forms.md) and written back from one.

Reading goes through pyxform (`xls2json` gives the form tree; the sheets are never parsed here), so
a workbook means here what it means in ODK. What a definition cannot hold (repeats, calculations,
cascading choices, other functions) is refused with the survey row and the reason; nothing a
department wrote is dropped in silence. Metadata questions (start, end, deviceid…) are skipped and
listed: the server records who filed and when itself.

Writing gives a workbook that imports back to the same definition: what XLSForm has a column for
goes in that column (type, label::<language>, hint, required, relevant, constraint, default,
choices), and what it has none for (money, phone, village, prefill, limits, texts for agents) goes in
a `vs_rules` column as JSON, which ODK tools carry along untouched. The same rows, with the limits
written as XPath constraints, become the XForm served to ODK Collect (pyxform again).
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from pyxform.errors import PyXFormError
from pyxform.parsing.sheet_headers import clean_text_values
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from marketplace.core.errors import DomainError
from marketplace.egov import form_engine, xpath

#: XLSForm question types read, and the definition type each becomes.
QUESTION_TYPES = {
    "text": "short_text", "string": "short_text", "integer": "number", "int": "number", "decimal": "number",
    "date": "date", "select one": "single_choice", "select all that apply": "multiple_choice",
    "photo": "file", "image": "file", "file": "file", "note": "note", "phone number": "phone",
}
#: Metadata the phone fills in by itself; the server records who filed and when, so they are skipped.
METADATA_TYPES = frozenset({"start", "end", "today", "deviceid", "uri:deviceid", "subscriberid", "simserial", "phonenumber",
                            "username", "email", "audit", "start-geopoint", "background-audio"})
#: Keys of a field the standard columns carry; every other key travels in `vs_rules`.
STANDARD_FIELD_KEYS = frozenset({"name", "type", "label", "help", "required", "show_if", "constraint",
                                 "constraint_message", "required_message", "default", "choices", "choice_filter"})
SAFE_NAME = re.compile(r"[^a-z0-9_]+")
#: The choice filter read: a column of the choices sheet equal to an earlier answer, either way round.
CHOICE_FILTER = re.compile(r"^\s*(?:(?P<column>[A-Za-z_][\w.-]*)\s*=\s*\$\{(?P<field>[^}]+)\}"
                           r"|\$\{(?P<field2>[^}]+)\}\s*=\s*(?P<column2>[A-Za-z_][\w.-]*))\s*$")


class XLSFormRefused(DomainError):
    """A workbook that cannot become a definition; `reasons` lists each, with its survey row."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(_l("This form cannot be imported."))
        self.reasons = reasons


@dataclass
class Imported:
    definition: dict
    skipped: list[str] = field(default_factory=list)  # read and deliberately not kept (metadata questions)


# --- languages ---------------------------------------------------------------------------------

def _languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def column_language(code: str) -> str:
    """The language part of a column, as ODK writes it: `English (en)`, `Kiswahili (sw)`."""
    return f"{Locale.parse(code).get_display_name(code).capitalize()} ({code})"


def _locale_of(language: str, default: str) -> str | None:
    """Our locale for an XLSForm language name: its code in parentheses, else its name in English or in
    itself (Babel's names), `default` for XLSForm's unnamed language; None when we do not serve it."""
    if language == "default":
        return default
    found = re.search(r"\(([A-Za-z_-]{2,8})\)\s*$", language)
    if found and found.group(1).lower().split("-")[0] in _languages():
        return found.group(1).lower().split("-")[0]
    name = re.sub(r"\s*\(.*\)\s*$", "", language).strip().casefold()
    for code in _languages():
        locale = Locale.parse(code)
        if name in {(locale.get_display_name("en") or "").casefold(), (locale.get_display_name(code) or "").casefold(),
                    (locale.get_language_name("en") or "").casefold(), code}:
            return code
    return None


# --- reading -----------------------------------------------------------------------------------

@dataclass
class _Reading:
    rows: dict[str, int]  # question name -> survey row (pyxform's numbering: the header is row 1)
    default_language: str
    reasons: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unknown_languages: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # the workbook's name -> ours

    def refuse(self, name: str | None, reason: str) -> None:
        row = self.rows.get(name or "")
        self.reasons.append(f"row {row}: {reason}" if row else reason)

    def texts(self, value: Any, typeset: dict | None = None, key: str = "") -> dict[str, str]:
        """Per-locale texts of a cell group. pyxform turns typographic quotes (’ “ ”) into plain ones;
        where the workbook came from here, `typeset` (vs_rules' "typeset") holds the text as it was, used
        while the cell still says the same (an edited cell wins)."""
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            value = {"default": value}
        texts = {}
        for language, words in value.items():
            code = _locale_of(language, self.default_language)
            if code is None:
                self.unknown_languages.add(language)
            elif words not in (None, "") and code not in texts:
                texts[code] = str(words)
                original = (typeset or {}).get(f"{key}.{code}")
                if original and clean_text_values(original) == texts[code]:
                    texts[code] = original
        return texts


def read_xlsform(data: bytes, filename: str = "form.xlsx") -> Imported:
    """A definition from an XLSForm workbook (xlsx, xls, csv or markdown). Raises XLSFormRefused."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else None
    try:
        workbook = get_xlsform(data, file_type=f".{suffix}" if suffix in ("xlsx", "xls", "xlsm", "csv", "md") else None)
        warnings: list[str] = []
        tree = workbook_to_json(workbook, form_name="data", fallback_form_name=filename.rsplit(".", 1)[0],
                                default_language=None, warnings=warnings)
    except PyXFormError as error:
        raise XLSFormRefused([str(error)]) from None
    except Exception as error:  # a damaged or foreign file: say so, never a server error
        raise XLSFormRefused([f"the file could not be read as an XLSForm workbook ({type(error).__name__})"]) from None
    rows = {row.get("name"): number for number, row in enumerate(workbook.survey or [], start=2) if row.get("name")}
    settings = (workbook.settings or [{}])[0]
    default_language = _locale_of(settings.get("default_language") or "default", "en") or "en"
    reading = _Reading(rows=rows, default_language=default_language)
    service = _json_column(settings.get("vs_service"), reading, None) or {}
    steps = _read_steps(tree.get("children", []), reading)
    title = dict(service.pop("title", None) or {})
    if settings.get("form_title") or not title:
        title[default_language] = str(settings.get("form_title") or tree.get("title") or filename)
    definition = {"title": title, **service, "steps": steps}
    if reading.unknown_languages:
        reading.skipped.append("texts in languages Village Square does not offer: " + ", ".join(sorted(reading.unknown_languages)))
    if not reading.reasons:
        try:
            form_engine.validate_definition(definition)
        except form_engine.DefinitionError as error:
            reading.reasons.extend(error.reasons)
    if reading.reasons:
        raise XLSFormRefused(reading.reasons)
    return Imported(definition, reading.skipped)


def _read_steps(children: list[dict], reading: _Reading) -> list[dict]:
    """Each top-level group is a page; a question outside any group is a page of its own. Groups inside
    a group join their page, their `relevant` joined to each question's."""
    _name_questions(children, reading)
    steps = []
    for node in children:
        kind = node.get("type")
        if kind == "group" and node.get("name") == "meta" and (node.get("control") or {}).get("bodyless"):
            continue  # pyxform's own instanceID
        if kind == "group":
            rules = _json_column(node.get("vs_rules"), reading, node.get("name")) or {}
            typeset = rules.pop("typeset", {})
            step = {"id": reading.names.get(node["name"], node["name"]), "title": reading.texts(node.get("label"), typeset, "title") or {
                reading.default_language: node["name"]}, "fields": []}
            step.update(rules)
            step["fields"] = _read_questions(node.get("children", []), reading, _relevance(node, reading))
            if step["fields"]:
                steps.append(step)
            continue
        fields = _read_questions([node], reading, None)
        if fields:
            steps.append({"id": fields[0]["name"], "title": fields[0]["label"], "fields": fields})
    return steps


def _name_questions(children: list[dict], reading: _Reading) -> None:
    """Our names are lower-case letters, digits and _: each workbook name gets one (conditions name them)."""
    for node in children:
        original = node.get("name") or ""
        safe = SAFE_NAME.sub("_", original.lower()).strip("_")[:64] or "q"
        if not safe[0].isalpha():
            safe = f"q_{safe}"[:64]
        if safe in reading.names.values() and reading.names.get(original) != safe:
            reading.refuse(original, f"'{original}' and another name become the same name '{safe}'; rename one")
        reading.names[original] = safe
        _name_questions(node.get("children") or [], reading)


def _relevance(node: dict, reading: _Reading) -> dict | None:
    expression = (node.get("bind") or {}).get("relevant")
    if not expression:
        return None
    try:
        return _renamed(xpath.to_condition(expression), reading.names)
    except xpath.Untranslatable as error:
        reading.refuse(node.get("name"), f"relevant {expression!r}: {error}")
        return None


def _read_questions(nodes: list[dict], reading: _Reading, inherited: dict | None) -> list[dict]:
    fields: list[dict] = []
    for node in nodes:
        kind, name = node.get("type", ""), node.get("name", "")
        if kind == "group":
            fields.extend(_read_questions(node.get("children", []), reading, _both(inherited, _relevance(node, reading))))
        elif kind in METADATA_TYPES:
            reading.skipped.append(f"row {reading.rows.get(name, '?')}: {kind} '{name}' (metadata)")
        elif kind in QUESTION_TYPES:
            spec = _read_question(node, reading, inherited)
            if spec is not None:
                fields.append(spec)
        elif kind in ("repeat", "loop"):
            reading.refuse(name, f"'{name}' is a repeat: a definition has no repeated groups")
        elif kind == "calculate":
            reading.refuse(name, f"'{name}' is a calculation: a definition has no calculated answers")
        else:
            reading.refuse(name, f"'{name}' has the type '{kind}', which Village Square forms do not have")
    return fields


def _read_question(node: dict, reading: _Reading, inherited: dict | None) -> dict | None:
    name, bind = node["name"], node.get("bind") or {}
    rules = _json_column(node.get("vs_rules"), reading, name) or {}
    typeset = rules.pop("typeset", {})
    spec: dict[str, Any] = {"name": reading.names[name], "type": QUESTION_TYPES[node["type"]]}
    if node["type"] in ("integer", "int"):
        spec["whole"] = True
    if node["type"] == "text" and ((node.get("control") or {}).get("appearance") or "").strip() == "multiline":
        spec["type"] = "long_text"
    spec["label"] = reading.texts(node.get("label"), typeset, "label") or ({reading.default_language: name} if spec["type"] != "note" else {})
    if node.get("hint"):
        spec["help"] = reading.texts(node.get("hint"), typeset, "help")
    required = str(bind.get("required", "")).strip().lower()
    if required in ("yes", "true", "true()"):
        spec["required"] = True
    elif required in ("no", "false", "false()"):
        spec["required"] = False
    elif required:
        reading.refuse(name, f"required {bind['required']!r}: only yes or no (a question required on a condition is not supported)")
    for unsupported in ("calculate", "readonly"):
        if bind.get(unsupported) not in (None, "", "false()", "no"):
            reading.refuse(name, f"'{name}' has {unsupported} {bind[unsupported]!r}, which a definition cannot hold")
    narrowing = None
    if node.get("choice_filter"):
        found = CHOICE_FILTER.match(node["choice_filter"])
        if found is None:
            reading.refuse(name, f"choice_filter {node['choice_filter']!r}: only a choices column equal to an earlier answer "
                                 "(column = ${question}) is supported")
        else:
            column, question = found.group("column") or found.group("column2"), found.group("field") or found.group("field2")
            narrowing = {"column": column, "field": reading.names.get(question, question)}
            spec["choice_filter"] = narrowing
    show_if = _both(inherited, _relevance(node, reading))
    if show_if:
        spec["show_if"] = show_if
    if bind.get("constraint"):
        try:
            spec["constraint"] = _renamed(xpath.to_condition(bind["constraint"], own_name=name), reading.names)
        except xpath.Untranslatable as error:
            reading.refuse(name, f"constraint {bind['constraint']!r}: {error}")
    for key, message in (("jr:constraintMsg", "constraint_message"), ("jr:requiredMsg", "required_message")):
        if bind.get(key):
            spec[message] = reading.texts(bind[key], typeset, message)
    if node.get("choices") is not None:
        spec["choices"] = [{"value": str(choice["name"]), "label": reading.texts(choice.get("label"), typeset, f"choice.{choice['name']}") or {
            reading.default_language: str(choice["name"])}, **({"filters": {narrowing["column"]: str(choice.get(narrowing["column"], ""))}}
                                                                if narrowing else {})} for choice in node["choices"]]
    if node.get("default") not in (None, ""):
        spec["default"] = node["default"] if spec["type"] != "multiple_choice" else str(node["default"]).split()
    spec.update(rules)
    if spec["type"] == "yes_no" or spec["type"] == "village":
        spec.pop("choices", None)
    return spec


def _both(first: dict | None, second: dict | None) -> dict | None:
    if first and second:
        return {"all": [first, second]}
    return first or second


def _renamed(condition: Any, names: dict[str, str]) -> Any:
    if isinstance(condition, list):
        return [_renamed(part, names) for part in condition]
    if not isinstance(condition, dict):
        return condition
    return {key: (names.get(value, value) if key in ("field", "length_of", "count_of", "than") else _renamed(value, names))
            for key, value in condition.items()}


def _json_column(value: Any, reading: _Reading, name: str | None) -> dict | None:
    if value in (None, ""):
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):
        reading.refuse(name, "the vs_rules/vs_service column must hold a JSON object")
        return None
    return parsed


# --- writing -----------------------------------------------------------------------------------

def _choice_list_of(spec: dict) -> str:
    return spec["name"] if spec["type"] != "yes_no" else "yes_no"


def _rows(definition: dict, *, for_xform: bool, villages: list[tuple[int, str]] | None = None) -> dict[str, list[dict]]:
    """The survey, choices and settings rows of a definition."""
    languages = _languages()
    survey: list[dict] = []
    choices: list[dict] = []
    ticked = frozenset(spec["name"] for step in definition["steps"] for spec in step["fields"] if spec["type"] == "multiple_choice")

    def texts(column: str, value: Any) -> dict:
        return {f"{column}::{column_language(code)}": value[code] for code in languages if isinstance(value, dict) and value.get(code)}

    def typeset(texts_by_key: dict[str, Any]) -> dict:
        """The texts pyxform would change (typographic quotes), as written, for vs_rules."""
        return {f"{key}.{code}": words for key, value in texts_by_key.items() if isinstance(value, dict)
                for code, words in value.items() if isinstance(words, str) and clean_text_values(words) != words}

    question_names = {spec["name"] for step in definition["steps"] for spec in step["fields"]}
    for step in definition["steps"]:
        rules = {key: value for key, value in step.items() if key not in ("id", "title", "fields")}
        if typeset({"title": step.get("title")}):
            rules["typeset"] = typeset({"title": step.get("title")})
        group_name = step["id"]
        if group_name in question_names:  # XLSForm names are one namespace; the page id is kept in vs_rules
            group_name, rules["id"] = f"{step['id']}_page", step["id"]
        survey.append({"type": "begin group", "name": group_name, **texts("label", step.get("title")),
                       **({"vs_rules": _dumps(rules)} if rules and not for_xform else {})})
        for spec in step["fields"]:
            survey.append(_question_row(spec, texts, ticked, for_xform, typeset, villages))
            if spec["type"] == "yes_no" and not any(row["list_name"] == "yes_no" for row in choices):
                choices.extend({"list_name": "yes_no", "name": value, **texts("label", {
                    code: str(label) for code, label in _yes_no_labels(value).items()})} for value in ("yes", "no"))
            elif spec["type"] == "village":
                choices.extend({"list_name": spec["name"], "name": str(village_id), **texts("label", {code: label for code in languages})}
                               for village_id, label in villages or [])
            elif spec.get("choices"):
                choices.extend({"list_name": spec["name"], "name": choice["value"], **texts("label", choice["label"]),
                                **(choice.get("filters") or {})} for choice in spec["choices"])
        survey.append({"type": "end group"})
    service = {key: value for key, value in definition.items() if key != "steps"}
    settings = {"form_title": form_engine.text(definition["title"], "en"), "default_language": column_language("en")}
    names = [(row["list_name"], row["name"]) for row in choices]
    if len(names) != len(set(names)):  # a cascading list repeats a name under different filters
        settings["allow_choice_duplicates"] = "yes"
    if not for_xform:
        settings["vs_service"] = _dumps(service)
    return {"survey": survey, "choices": choices, "settings": [settings]}


def _yes_no_labels(value: str) -> dict[str, str]:
    from flask_babel import force_locale, gettext

    labels = {}
    for code in _languages():
        with force_locale(code):
            labels[code] = gettext("Yes") if value == "yes" else gettext("No")
    return labels


def _question_row(spec: dict, texts, ticked: frozenset[str], for_xform: bool, typeset, villages: list | None) -> dict:
    kind = spec["type"]
    xls_type = {
        "short_text": "text", "long_text": "text", "number": "integer" if spec.get("whole") else "decimal", "money": "decimal",
        "date": "date", "single_choice": f"select_one {spec['name']}", "yes_no": "select_one yes_no",
        "multiple_choice": f"select_multiple {spec['name']}", "phone": "text", "email": "text",
        "village": f"select_one {spec['name']}" if villages else "integer", "file": "image", "note": "note",
    }[kind]
    row: dict[str, Any] = {"type": xls_type, "name": spec["name"], **texts("label", spec.get("label")), **texts("hint", spec.get("help"))}
    if spec.get("required"):
        row["required"] = "yes"
        row.update(texts("required_message", spec.get("required_message")))
    elif spec.get("required") is False:
        row["required"] = "no"
    if spec.get("show_if"):
        row["relevant"] = xpath.to_xpath(spec["show_if"], ticked=ticked)
    constraint = _constraint_for_xform(spec) if for_xform else spec.get("constraint")
    if constraint:
        row["constraint"] = xpath.to_xpath(constraint, own_name=spec["name"], ticked=ticked)
        row.update(texts("constraint_message", spec.get("constraint_message")))
    if spec.get("choice_filter"):
        row["choice_filter"] = f"{spec['choice_filter']['column']}=${{{spec['choice_filter']['field']}}}"
    if kind == "long_text":
        row["appearance"] = "multiline"
    elif kind == "phone":
        row["appearance"] = "numbers"
    if spec.get("default") is not None and kind != "money":
        row["default"] = " ".join(spec["default"]) if isinstance(spec["default"], list) else str(spec["default"])
    if not for_xform:
        rules = {key: value for key, value in spec.items() if key not in STANDARD_FIELD_KEYS}
        if kind in ("money", "phone", "email", "village", "yes_no"):  # XLSForm has no type of their own
            rules["type"] = kind
        if kind == "number" and spec.get("whole"):
            rules.pop("whole")  # an integer question says it
        if kind == "money" and spec.get("default") is not None:
            rules["default"] = spec["default"]  # minor units: not what a spreadsheet's default would mean
        quoted = typeset({key: spec.get(key) for key in ("label", "help", "constraint_message", "required_message")}
                         | {f"choice.{choice['value']}": choice["label"] for choice in spec.get("choices") or []})
        if quoted:
            rules["typeset"] = quoted
        if rules:
            row["vs_rules"] = _dumps(rules)
    return row


def _constraint_for_xform(spec: dict) -> dict | None:
    """The question's own constraint and its limits (min, max, lengths, pattern) as one condition, so the
    phone refuses what the server would (money limits are in major units, as typed)."""
    name, parts = spec["name"], []
    if spec.get("constraint"):
        parts.append(spec["constraint"])
    if spec["type"] in ("number", "money"):
        parts += [{"field": name, "compare": operator, "value": _number(spec[key])}
                  for key, operator in (("min", ">="), ("max", "<=")) if spec.get(key) is not None]
    if spec["type"] == "date":
        for key, operator in (("min", ">="), ("max", "<=")):
            if spec.get(key) == "today":
                parts.append({"field": name, "compare": operator, "today": True})
            elif spec.get(key):
                parts.append({"field": name, "compare": operator, "value": spec[key]})
    if spec["type"] in ("short_text", "long_text"):
        parts += [{"length_of": name, "compare": operator, "value": int(spec[key])}
                  for key, operator in (("min_length", ">="), ("max_length", "<=")) if spec.get(key)]
        if spec.get("pattern"):
            parts.append({"field": name, "matches": spec["pattern"]})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"all": parts}


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _dumps(value: Any) -> str:
    # ASCII escapes: pyxform rewrites typographic quotes in every cell, JSON escapes pass untouched
    return json.dumps(value, ensure_ascii=True, sort_keys=True)


def write_xlsx(definition: dict, villages: list[tuple[int, str]] | None = None) -> bytes:
    """The definition as an XLSForm workbook that imports back to the same definition."""
    sheets = _rows(definition, for_xform=False, villages=villages)
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        columns: list[str] = []
        for row in rows:
            columns.extend(column for column in row if column not in columns)
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(column, "") for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_xform(definition: dict, form_id: str, version: str, villages: list[tuple[int, str]],
             first_questions: list[dict] | None = None, last_questions: list[dict] | None = None) -> str:
    """The XForm ODK Collect and Enketo fill in: pyxform's output for the definition's rows, with
    `first_questions` (rows, e.g. whose application it is) asked before the first page and `last_questions`
    (the declaration) after the last."""
    sheets = _rows(definition, for_xform=True, villages=villages)
    sheets["survey"] = [*(first_questions or []), *sheets["survey"], *(last_questions or [])]
    sheets["settings"][0].update(form_id=form_id, version=version)
    return convert(xlsform={**sheets, "fallback_form_name": form_id}, form_name="data").xform
