"""String types for the REST API's bodies and queries that carry services/text_rules.py's rule.

Each type checks the text with one regular expression and writes that same expression into
/api/openapi.json as the field's `pattern`: what the document admits is exactly what the API takes
(clients, generated SDKs and schemathesis read the rule there), and a refusal is the usual 422
naming the field, before any service runs. The services apply the rule again for the pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from smartspec_app.services import text_rules


@dataclass(frozen=True)
class TextRule:
    """A pattern for a string field: validated with Python's re (fullmatch), documented as is.

    `explain` says why a value that does not match is refused."""

    pattern: str
    explain: Callable[[str], str]

    def check(self, value: str) -> str:
        if re.fullmatch(self.pattern, value) is None:  # re keeps the compiled pattern
            raise PydanticCustomError("text_rule", self.explain(value))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def without_discriminator(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a tagged union whose branches each take several tags (a model's id and
    its `kie-ai/` form; the bulk actions): pydantic still picks the branch by the tag, but the document
    keeps only the `oneOf`, each branch's enum of tags telling it apart. An OpenAPI discriminator
    mapping several tags to one schema is read by tools as one tag per branch (schemathesis then calls
    the other tags invalid)."""
    schema.pop("discriminator", None)


def _why(label: bool, blank: str | None = None) -> Callable[[str], str]:
    def explain(value: str) -> str:
        return text_rules.problem(value, "", label=label) or blank or "is not allowed here"

    return explain


def nonblank_text_pattern(min_chars: int) -> str:
    """Text with at least `min_chars` characters left once leading and trailing white space is
    stripped (a CRLF counts as the one newline it becomes, so only up to 3 is exact)."""
    if not 1 <= min_chars <= 3:
        raise ValueError("the pattern counts at most 3 characters exactly")
    char, solid = text_rules.TEXT_CHAR, text_rules.TEXT_SOLID_CHAR
    if min_chars == 1:
        return text_rules.NONBLANK_TEXT_PATTERN
    return f"^{char}*{solid}{char}{{{min_chars - 2},}}{solid}{char}*$"


def nonblank_text(min_chars: int = 1) -> TextRule:
    what = "must not be blank" if min_chars == 1 else f"needs at least {min_chars} characters besides surrounding spaces"
    return TextRule(nonblank_text_pattern(min_chars), _why(False, what))


# Any text: control characters refused (but newline, tab, and CR which becomes a newline).
Text = Annotated[str, TextRule(text_rules.TEXT_PATTERN, _why(False))]
# Text with something in it besides white space (a rejection's reason, a prompt).
NonBlankText = Annotated[str, nonblank_text(1)]
# One-line names shown inside other text (tags): bidi embeddings, overrides and isolates refused too.
Label = Annotated[str, TextRule(text_rules.LABEL_PATTERN, _why(True))]
# A label with a visible character in it (a gallery title): not only white space, zero-width or blank characters.
VisibleLabel = Annotated[str, TextRule(text_rules.VISIBLE_LABEL_PATTERN, _why(True, "needs at least one visible character"))]
