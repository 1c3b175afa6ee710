"""Conditions in a form definition: when a question is asked (`show_if`) and what its answer must
satisfy (`constraint`). They are data, so a definition stays JSON and every rule is judged here,
on the server, the same way for the web, the phone channels and forms filed from ODK Collect.

A condition is one of (see docs/forms.md):

    {"field": "q", "equals": "yes"}             the answer is "yes" (for a multiple choice: "yes" is ticked)
    {"field": "q", "in": ["a", "b"]}            the answer is one of these
    {"field": "q", "compare": ">", "value": 5}  a number or a date ("today": true instead of a value,
                                                "than": "other" to compare with another answer)
    {"length_of": "q", "compare": "<=", "value": 10}
    {"count_of": "q", "compare": ">=", "value": 2}   choices ticked
    {"field": "q", "matches": "^[0-9]+$"}        a regular expression, the whole answer
    {"all": [...]}, {"any": [...]}, {"not": {...}}

egov.xpath reads the same conditions from XLSForm's XPath (`relevant`, `constraint`) and writes them
back (`to_xpath`), so an exported form means what it meant.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_NAMING_KEYS = ("field", "length_of", "count_of")


def fields_named(condition: dict | None) -> set[str]:
    """Every question a condition reads."""
    if not condition:
        return set()
    if "all" in condition or "any" in condition:
        return set().union(*(fields_named(part) for part in condition.get("all") or condition.get("any") or []))
    if "not" in condition:
        return fields_named(condition["not"])
    return {condition[key] for key in (*_NAMING_KEYS, "than") if key in condition}


def problems(condition: Any, known: set[str]) -> list[str]:
    """What is wrong with a condition whose questions must be among `known`."""
    if not isinstance(condition, dict):
        return ["a condition must be an object"]
    if "all" in condition or "any" in condition:
        parts = condition.get("all", condition.get("any"))
        if not isinstance(parts, list) or not parts:
            return ["'all' and 'any' need a non-empty list of conditions"]
        return [problem for part in parts for problem in problems(part, known)]
    if "not" in condition:
        return problems(condition["not"], known)
    named = [condition[key] for key in _NAMING_KEYS if key in condition]
    if len(named) != 1:
        return ["a condition names one question with 'field', 'length_of' or 'count_of'"]
    if named[0] not in known:
        return [f"the condition names '{named[0]}', which is not an earlier question"]
    if "compare" in condition:
        if condition["compare"] not in COMPARISONS:
            return [f"compare must be one of {' '.join(COMPARISONS)}"]
        if "value" not in condition and not condition.get("today") and "than" not in condition:
            return ["a comparison needs a 'value' (or \"today\": true, or \"than\": another question)"]
        if "than" in condition and condition["than"] not in known:
            return [f"the condition names '{condition['than']}', which is not an earlier question"]
        return []
    if "field" in condition and "matches" in condition:
        try:
            re.compile(condition["matches"])
        except (re.error, TypeError) as error:
            return [f"matches does not compile: {error}"]
        return []
    if "field" in condition and ("equals" in condition or "in" in condition):
        return []
    return ["a condition needs 'equals', 'in', 'compare' or 'matches'"]


def holds(condition: dict | None, answers: dict) -> bool:
    """Whether the condition is true of these answers (None: always)."""
    if not condition:
        return True
    if "all" in condition:
        return all(holds(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, answers) for part in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], answers)
    if "length_of" in condition:
        return _compare(len(str(answers.get(condition["length_of"]) or "")), condition["compare"], condition["value"])
    if "count_of" in condition:
        answer = answers.get(condition["count_of"])
        count = len(answer) if isinstance(answer, list) else (1 if answer not in (None, "") else 0)
        return _compare(count, condition["compare"], condition["value"])
    value = answers.get(condition["field"])
    if "equals" in condition:
        wanted = condition["equals"]
        if isinstance(value, list):
            return wanted in value
        return _same(value, wanted)
    if "in" in condition:
        return any(_same(value, wanted) for wanted in condition["in"])
    if "matches" in condition:
        return value not in (None, "") and re.fullmatch(condition["matches"], str(value)) is not None
    if "than" in condition:
        wanted = answers.get(condition["than"])
        if wanted in (None, ""):
            return condition["compare"] == "!="
    else:
        wanted = date.today().isoformat() if condition.get("today") else condition["value"]
    return _compare(value, condition["compare"], wanted)


def _same(value: Any, wanted: Any) -> bool:
    if value is None:
        value = ""
    if isinstance(wanted, int | float) and not isinstance(wanted, bool):
        number = _number(value)
        return number is not None and number == Decimal(str(wanted))
    return str(value) == str(wanted)


def _compare(value: Any, operator: str, wanted: Any) -> bool:
    """Numbers as numbers, dates as dates (ISO text orders as the dates do); an unanswered question
    compares as XPath's NaN does: only `!=` holds."""
    if value in (None, "") or isinstance(value, list):
        return operator == "!="
    left: Any
    right: Any
    if _is_date(wanted) and _is_date(value):
        left, right = str(value), str(wanted)
    else:
        left, right = _number(value), _number(wanted)
        if left is None or right is None:
            left, right = str(value), str(wanted)
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[operator]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and bool(_ISO_DATE.fullmatch(value))


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
