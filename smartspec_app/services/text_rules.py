"""The one rule for text people send, on every database and every way in (REST API and pages).

- Control characters (Unicode category Cc) are refused everywhere, except newline and tab. A
  carriage return is taken as a line break instead (CRLF and a lone CR become LF), because
  textareas and Windows clients send them.
- Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are also refused in
  *labels*: one-line names shown inside other text (gallery titles and tags, token names). There
  they can make the text around them read backwards, in the page and in a search result.
- A title needs a *visible* character (`has_visible`): a letter, digit, punctuation mark or symbol
  (Unicode categories L, N, P, S) that is not a blank glyph (Hangul fillers, the braille blank). A
  title of zero-width spaces and joiners, combining marks, variation selectors or fillers alone
  showed as an empty link in the gallery and an empty <title>. Characters outside the BMP and
  unassigned ones (newer than Python's Unicode tables) count as visible: the pattern for
  /api/openapi.json can name only BMP characters in a form JSON Schema (ECMA 262), Python's re and
  pydantic read alike, and the services must admit what it admits.
- Prose (descriptions, prompts) keeps every bidi control and mark: right-to-left writers use
  them. Where user text reaches text that is not shown inside its own element — <title>, <meta>
  content, JSON-LD — `without_bidi` removes them all (seo.py).

SQLite stores a NUL as it is and PostgreSQL refuses it: without this rule the same request was a
201 on one and a 422 naming no field on the other, and NULs and U+202E reached the pages' <title>
and meta tags. A refusal is a ValidationError naming the field (the API's 422 with `details.field`,
a form error on the pages). The patterns below say the same for /api/openapi.json (api/text_types.py).
"""

from __future__ import annotations

import re
import unicodedata

from smartspec_app.services.errors import ValidationError

ALLOWED_CONTROLS = frozenset("\t\n\r")  # \r: normalised to \n, never stored
# Unicode never adds Cc characters (U+0000–U+001F, U+007F–U+009F) and has no white space outside the BMP.
CONTROLS = frozenset(chr(c) for c in range(0x100) if unicodedata.category(chr(c)) == "Cc") - ALLOWED_CONTROLS
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# What Python's str.split()/strip() take for white space (the services collapse and strip with them).
WHITESPACE = frozenset(chr(c) for c in range(0x10000) if chr(c).isspace())
# Implicit direction marks (LRM, RLM, ALM): harmless in a label, but not to be copied into <meta> and JSON-LD.
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
VISIBLE_CATEGORIES = frozenset("LNPS")  # the first letter of a Unicode general category
# Letters or symbols by category that draw nothing (Default_Ignorable fillers, the braille pattern blank).
BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# What cannot make a title visible on its own: marks, format characters (zero-width space, joiners,
# BOM), separators, controls, private use, and the blank glyphs. BMP only (see above).
# Cn: unassigned in Python's tables, maybe not in the reader's. Cs: a lone surrogate is no text anyway,
# and Rust's regex refuses one in a pattern (schemathesis then dropped the whole pattern).
_NOT_COUNTED = frozenset(("Cn", "Cs"))
INVISIBLE = (
    frozenset(
        chr(c)
        for c in range(0x10000)
        if unicodedata.category(chr(c))[0] not in VISIBLE_CATEGORIES and unicodedata.category(chr(c)) not in _NOT_COUNTED
    )
    | BLANK_GLYPHS
    | CONTROLS
    | BIDI_CONTROLS
    | WHITESPACE
)


def char_class(chars: frozenset[str]) -> str:
    """A regex character-class body for `chars` as \\uXXXX ranges: reads the same in JSON Schema
    (ECMA 262), Python's re and pydantic's Rust engine."""
    points = sorted(ord(c) for c in chars)
    ranges: list[tuple[int, int]] = []
    for point in points:
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))

    def esc(point: int) -> str:
        return f"\\u{point:04x}"

    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)


_CONTROL_RE = re.compile(f"[{char_class(CONTROLS)}]")
_LABEL_RE = re.compile(f"[{char_class(CONTROLS | BIDI_CONTROLS)}]")
_NEWLINES = re.compile(r"\r\n?")
_BIDI_RE = re.compile(f"[{char_class(BIDI_CONTROLS | BIDI_MARKS)}]")

TEXT_CHAR = f"[^{char_class(CONTROLS)}]"
LABEL_CHAR = f"[^{char_class(CONTROLS | BIDI_CONTROLS)}]"
VISIBLE_CHAR = f"[^{char_class(INVISIBLE)}]"  # counts toward a title (has_visible)
TEXT_SOLID_CHAR = f"[^{char_class(CONTROLS | WHITESPACE)}]"
TEXT_PATTERN = f"^{TEXT_CHAR}*$"
LABEL_PATTERN = f"^{LABEL_CHAR}*$"
NONBLANK_TEXT_PATTERN = f"^{TEXT_CHAR}*{TEXT_SOLID_CHAR}{TEXT_CHAR}*$"
VISIBLE_LABEL_PATTERN = f"^{LABEL_CHAR}*{VISIBLE_CHAR}{LABEL_CHAR}*$"  # a title
_VISIBLE_RE = re.compile(VISIBLE_CHAR)


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def normalize_newlines(text: str) -> str:
    return _NEWLINES.sub("\n", text)


def first_refused(text: str, *, label: bool = False) -> str | None:
    """The first character the rule refuses in `text` (a label when `label`), else None."""
    found = (_LABEL_RE if label else _CONTROL_RE).search(text)
    return found.group() if found else None


def problem(text: str, what: str, *, label: bool = False) -> str | None:
    """Why `text` breaks the rule, in words naming `what` ("The title", or "" for no subject); None when it does not."""
    char = first_refused(text, label=label)
    if char is None:
        return None
    subject = f"{what} contains" if what else "contains"
    if char in BIDI_CONTROLS:
        return f"{subject} a bidirectional control character ({_describe(char)}); remove it"
    return f"{subject} a control character ({_describe(char)}); only text, new lines and tabs are allowed"


def check_text(text: str, field: str, what: str) -> str:
    """`text` with its line breaks normalised; ValidationError(field) when it holds a refused control character."""
    message = problem(text, what)
    if message:
        raise ValidationError(message, field=field)
    return normalize_newlines(text)


def check_label(text: str, field: str, what: str) -> str:
    """As check_text, and bidi embeddings, overrides and isolates are refused too."""
    message = problem(text, what, label=True)
    if message:
        raise ValidationError(message, field=field)
    return normalize_newlines(text)


def has_visible(text: str) -> bool:
    """Whether `text` holds a character that draws something (see the module's docstring)."""
    return _VISIBLE_RE.search(text) is not None


def without_bidi(text: str) -> str:
    """`text` without bidi embeddings, overrides, isolates and marks: for <title>, <meta> content and
    JSON-LD, where nothing isolates them and an unclosed override reverses what a crawler or an
    unfurler shows next to it. The letters' own direction still applies."""
    return _BIDI_RE.sub("", text)


def has_refused(text: str) -> bool:
    """Whether `text` holds a character no stored key can hold (lookups answer "not found" for it)."""
    return _CONTROL_RE.search(text) is not None
