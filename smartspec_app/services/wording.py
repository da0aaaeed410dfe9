"""Counts in words, one rule for the live pages (components/wording.py) and the server-rendered HTML.

English takes the singular for exactly one and the plural for anything else, zero and fractions
included: "1 view", "0 views", "2.50 credits", "1.00 credit". A plural is the singular with "s" (or
"es", or "y" → "ies" after a consonant) unless `IRREGULAR` or the caller says otherwise.
"""

from __future__ import annotations

IRREGULAR = {"person": "people", "child": "children"}
_VOWELS = frozenset("aeiou")


def plural_of(singular: str) -> str:
    """The plural of a countable English noun (or of a noun phrase's last word)."""
    if singular in IRREGULAR:
        return IRREGULAR[singular]
    if singular.endswith("y") and len(singular) > 1 and singular[-2] not in _VOWELS:
        return singular[:-1] + "ies"
    if singular.endswith(("s", "x", "z", "ch", "sh")):
        return singular + "es"
    return singular + "s"


def noun_for(count: float, singular: str, plural: str | None = None) -> str:
    """The noun as `count` takes it: the singular for exactly one, else the plural."""
    return singular if count == 1 else (plural or plural_of(singular))


def counted(count: float, singular: str, plural: str | None = None, *, number_format: str = ",") -> str:
    """`count` with its noun: counted(1, "view") == "1 view", counted(1200, "like") == "1,200 likes"."""
    return f"{count:{number_format}} {noun_for(count, singular, plural)}"


def credits_text(amount: float, *, short: bool = False) -> str:
    """An amount of credits with two decimals ("18.00 credits", "1.00 credit"); `short` drops ".00"
    from a whole amount ("18 credits", "1 credit"), as the price on the Generate button shows it."""
    text = f"{amount:,.2f}"
    if short and text.endswith(".00"):
        text = text[:-3]
    return f"{text} {noun_for(round(amount, 2), 'credit')}"
