"""Previous / "Page n of m" / next, for the admin tables."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from smartspec_app.components.wording import counted


def pager(
    page: rx.Var[int],
    pages: rx.Var[int],
    total: rx.Var[int],
    noun: str,
    go_to: Callable[[rx.Var[int]], rx.event.EventSpec],
    labels: tuple[str, str] = ("Previous", "Next"),
) -> rx.Component:
    """`noun`: what is counted, in the singular ("entry": "1 entry", "3 entries")."""
    return rx.hstack(
        rx.button(labels[0], size="1", variant="soft", disabled=page <= 1, on_click=go_to(page - 1)),
        rx.text("Page ", page, " of ", pages, " · ", counted(total, noun), size="2"),
        rx.button(labels[1], size="1", variant="soft", disabled=page >= pages, on_click=go_to(page + 1)),
        align="center",
    )
