"""XLSForm's XPath, the subset a form's conditions use, read into egov.conditions and written back.

`relevant` becomes `show_if`, `constraint` becomes `constraint`. What is read: `${q}` and `.`,
text and numbers, `=` `!=` `<` `<=` `>` `>=`, `and` `or` `not()`, `selected()`, `string-length()`,
`count-selected()`, `regex()`, `today()`, `date('YYYY-MM-DD')` and parentheses. Anything else
(arithmetic, other functions, paths) is refused with the reason, never dropped: a rule a department
wrote must hold here or the import must say it cannot.

The grammar is lark's (pyxform's own parser library); lark reads, the transformer decides what the
tree means.
"""
from __future__ import annotations

import json
import re
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr "or" and_expr -> any_of
?and_expr: comparison | and_expr "and" comparison -> all_of
?comparison: operand | operand COMPARE operand -> compare
?operand: REF -> ref
        | "." -> self_ref
        | STRING -> string
        | NUMBER -> number
        | FUNCTION "(" [or_expr ("," or_expr)*] ")" -> call
        | "(" or_expr ")"
COMPARE: "!=" | "<=" | ">=" | "=" | "<" | ">"
REF: /\$\{[A-Za-z_][A-Za-z0-9_.-]*\}/ | /\.\.\/[A-Za-z_][A-Za-z0-9_.-]*/
FUNCTION: /[a-z][a-z-]*(?=\s*\()/
STRING: /'[^']*'/ | /"[^"]*"/
NUMBER: /-?\d+(\.\d+)?/
%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Untranslatable(ValueError):
    """An expression outside the subset; the message says which part and why."""


class _Ref(str):
    """A question named in the expression."""


class _Today:
    pass


class _Measure:
    def __init__(self, key: str, name: str) -> None:
        self.key, self.name = key, name


class _Selected(dict):
    """An equality read from selected(): never merged into `in` (a ticked box is not an answer)."""


@v_args(inline=True)
class _ToCondition(Transformer):
    def __init__(self, own_name: str | None) -> None:
        super().__init__()
        self.own_name = own_name

    def ref(self, token: Token) -> _Ref:
        # ${q}, or ../q: the sibling path pyxform itself writes for "or other" questions
        return _Ref(token[3:] if token.startswith("../") else token[2:-1])

    def self_ref(self) -> _Ref:
        if self.own_name is None:
            raise Untranslatable("'.' (this answer) is only meaningful in a constraint")
        return _Ref(self.own_name)

    def string(self, token: Token) -> str:
        return str(token[1:-1])

    def number(self, token: Token) -> int | float:
        return int(token) if token.lstrip("-").isdigit() else float(token)

    def call(self, name: Token, *arguments: Any) -> Any:
        arguments = tuple(a for a in arguments if a is not None)
        if name == "today" and not arguments:
            return _Today()
        if name == "date" and len(arguments) == 1 and isinstance(arguments[0], str) and not isinstance(arguments[0], _Ref):
            return arguments[0]
        if name == "not" and len(arguments) == 1 and isinstance(arguments[0], dict):
            return {"not": arguments[0]}
        if name == "selected" and len(arguments) == 2 and isinstance(arguments[0], _Ref) and _is_literal(arguments[1]):
            return _Selected(field=str(arguments[0]), equals=arguments[1])
        if name == "regex" and len(arguments) == 2 and isinstance(arguments[0], _Ref) and _is_literal(arguments[1]):
            return {"field": str(arguments[0]), "matches": arguments[1]}
        if name in ("string-length", "count-selected") and len(arguments) == 1 and isinstance(arguments[0], _Ref):
            return _Measure("length_of" if name == "string-length" else "count_of", str(arguments[0]))
        raise Untranslatable(f"the function {name}() with these arguments is not supported")

    def compare(self, left: Any, operator: Token, right: Any) -> dict:
        operator = str(operator)
        if not isinstance(left, _Ref | _Measure):
            left, right, operator = right, left, _FLIPPED[operator]
        if isinstance(left, _Ref) and isinstance(right, _Ref):
            return {"field": str(left), "compare": operator, "than": str(right)}
        if not isinstance(left, _Ref | _Measure) or not (_is_literal(right) or isinstance(right, _Today)):
            raise Untranslatable("a comparison must set one question (or its length) against a fixed value or today()")
        if isinstance(left, _Measure):
            if not isinstance(right, int | float):
                raise Untranslatable(f"{left.key.replace('_', ' ')} can only be compared with a number")
            return {left.key: left.name, "compare": operator, "value": right}
        if isinstance(right, _Today):
            return {"field": str(left), "compare": operator, "today": True}
        if isinstance(right, str) and operator in ("=", "!="):
            equality = {"field": str(left), "equals": right}
            return equality if operator == "=" else {"not": equality}
        return {"field": str(left), "compare": operator, "value": right}

    def all_of(self, left: Any, right: Any) -> dict:
        return {"all": [*_parts("all", _condition(left)), *_parts("all", _condition(right))]}

    def any_of(self, left: Any, right: Any) -> dict:
        return {"any": [*_parts("any", _condition(left)), *_parts("any", _condition(right))]}


def _is_literal(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, _Ref | bool)


def _condition(value: Any) -> dict:
    if not isinstance(value, dict):
        raise Untranslatable("a question or a value on its own is not a condition (compare it with something)")
    return value


def _parts(key: str, condition: dict) -> list[dict]:
    return condition[key] if list(condition) == [key] else [condition]


def to_condition(expression: str, own_name: str | None = None) -> dict:
    """The condition an XPath expression states; `own_name` is what `.` stands for (a constraint's
    own question). Raises Untranslatable."""
    try:
        tree = _PARSER.parse(expression)
        condition = _condition(_ToCondition(own_name).transform(tree))
    except VisitError as error:
        if isinstance(error.orig_exc, Untranslatable):
            raise error.orig_exc from None
        raise
    except LarkError as error:
        raise Untranslatable(f"cannot read {expression!r} as a supported condition ({_short(error)})") from None
    return _plain(_ones_of(condition))


def _short(error: LarkError) -> str:
    column = getattr(error, "column", None)
    return f"at character {column}" if column else type(error).__name__


def _ones_of(condition: dict) -> dict:
    """`${q} = 'a' or ${q} = 'b'` is "q is one of a, b": the form the definitions already use."""
    if "any" in condition:
        parts = [_ones_of(part) for part in condition["any"]]
        equal = [p for p in parts if list(p) == ["field", "equals"] and not isinstance(p, _Selected)]
        if len(equal) == len(parts) and len({p["field"] for p in parts}) == 1:
            return {"field": parts[0]["field"], "in": [p["equals"] for p in parts]}
        return {"any": parts}
    if "all" in condition:
        return {"all": [_ones_of(part) for part in condition["all"]]}
    if "not" in condition:
        return {"not": _ones_of(condition["not"])}
    return condition


def _plain(condition: dict) -> Any:
    """Only JSON types in a definition (the helper classes above are dict and str subclasses)."""
    return json.loads(json.dumps(condition))


# --- writing --------------------------------------------------------------------------------

def to_xpath(condition: dict, own_name: str | None = None, ticked: frozenset[str] = frozenset()) -> str:
    """The XPath that states `condition`; `own_name` is written `.`; `ticked` names the multiple-choice
    questions, whose equality is `selected()`."""
    def ref(name: str) -> str:
        return "." if name == own_name else "${" + name + "}"

    if "all" in condition or "any" in condition:
        joiner = " and " if "all" in condition else " or "
        return "(" + joiner.join(to_xpath(part, own_name, ticked) for part in condition.get("all") or condition["any"]) + ")"
    if "not" in condition:
        return f"not({to_xpath(condition['not'], own_name, ticked)})"
    if "length_of" in condition or "count_of" in condition:
        function, name = ("string-length", condition["length_of"]) if "length_of" in condition else ("count-selected", condition["count_of"])
        return f"{function}({ref(name)}) {condition['compare']} {_literal(condition['value'])}"
    name = condition["field"]
    if "equals" in condition:
        if name in ticked:
            return f"selected({ref(name)}, {_literal(condition['equals'])})"
        return f"{ref(name)} = {_literal(condition['equals'])}"
    if "in" in condition:
        return "(" + " or ".join(to_xpath({"field": name, "equals": value}, own_name, ticked) for value in condition["in"]) + ")"
    if "matches" in condition:
        return f"regex({ref(name)}, {_literal(condition['matches'])})"
    if "than" in condition:
        wanted = ref(condition["than"])
    elif condition.get("today"):
        wanted = "today()"
    elif isinstance(condition["value"], str) and _ISO_DATE.fullmatch(condition["value"]):
        wanted = f"date('{condition['value']}')"
    else:
        wanted = _literal(condition["value"])
    return f"{ref(name)} {condition['compare']} {wanted}"


def _literal(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return f'"{text}"' if "'" in text else f"'{text}'"
