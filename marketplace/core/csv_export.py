"""The one way the product writes CSV: cells that a spreadsheet would run as a formula are
neutralised (OWASP "CSV injection"): a farmer named `=HYPERLINK(...)` is text in the admin's
payouts sheet, not a link that runs. Numbers stay numbers; only text is touched."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: What makes Excel, LibreOffice or Google Sheets read a cell as a formula (or hide one after it).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # the apostrophe makes a spreadsheet show the text as typed
    return value


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()


def dicts_to_csv(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    return rows_to_csv(fields, ([("" if row.get(f) is None else row.get(f)) for f in fields] for row in rows))
