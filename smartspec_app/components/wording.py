"""Counts in words on the live pages: services/wording.py's rule, as a Var the browser evaluates."""

from __future__ import annotations

import reflex as rx

from smartspec_app.services.wording import plural_of


def counted(count: rx.Var[int], singular: str, plural: str | None = None) -> rx.Var[str]:
    """`count` and its noun, singular for exactly one: counted(State.views, "view") shows "1 view", "2 views"."""
    return count.to_string() + rx.cond(count == 1, f" {singular}", f" {plural or plural_of(singular)}")
