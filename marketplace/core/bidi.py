"""Text of one direction inside a sentence of the other, in plain text: Unicode isolates, which hold in
flashes, SMS, labels and PDF lines, where no <bdi> element exists (templates use the `bdi` and `ltr`
filters). Without them an Arabic sentence shows "+254 711 000003" as "254 711 000003+", splits
"AGR-2026-000001", and lets a farm's English name take the sentence's punctuation along."""
from __future__ import annotations


def left_to_right(text: str) -> str:
    """A number, code or reference, always read left to right (LRI…PDI)."""
    return f"\u2066{text}\u2069" if text else text


def isolate(text: str) -> str:
    """A name someone typed, in whichever direction its own first letter says (FSI…PDI)."""
    return f"\u2068{text}\u2069" if text else text
