"""/admin/analytics: the dashboard's figures for a date range (admins only, checked in every event)."""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from smartspec_app.services import analytics, gallery
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.state.admin import AdminState


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


class AnalyticsState(AdminState):
    start: str = ""
    end: str = ""
    range_error: str = ""
    generations_by_day: list[dict[str, Any]] = []
    gallery_by_day: list[dict[str, Any]] = []
    by_model: list[dict[str, Any]] = []
    figures: dict[str, str] = {}
    backlog: dict[str, int] = {}
    oldest_pending: str = ""

    def _compute(self) -> None:
        try:
            start, end = date.fromisoformat(self.start), date.fromisoformat(self.end)
            with session_scope() as session:
                report = analytics.summary(session, start, end)
        except ValueError:
            self.range_error = "Pick both dates"
            return
        except SmartSpecError as exc:
            self.range_error = exc.message
            return
        self.range_error = ""
        self.generations_by_day = report.generations_by_day
        self.gallery_by_day = report.gallery_by_day
        self.by_model = [
            {
                "model": gallery.model_name(m.model_id),
                "model_id": m.model_id,
                "total": m.total,
                "completed": m.completed,
                "failed": m.failed,
                "success": _percent(m.success_rate),
                "avg": _seconds(m.avg_seconds),
                "credits": round(m.credits, 2),
            }
            for m in report.by_model
        ]
        self.figures = {
            "total": str(report.total),
            "completed": str(report.completed),
            "failed": str(report.failed),
            "success_rate": _percent(report.success_rate),
            "failure_rate": _percent(report.failure_rate),
            "avg_duration": _seconds(report.avg_seconds),
            "credits": f"{report.credits:,.2f}",
            "items": str(sum(d["items"] for d in report.gallery_by_day)),
            "likes": str(sum(d["likes"] for d in report.gallery_by_day)),
            "views": str(sum(d["views"] for d in report.gallery_by_day)),
        }
        self.backlog = report.backlog
        hours = report.oldest_pending_hours
        self.oldest_pending = "" if hours is None else (f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days")

    @rx.event
    def on_load(self):
        if self._admin() is None:
            return rx.redirect("/login?next=/admin/analytics") if not self.signed_in else None
        if not self.start or not self.end:
            start, end = analytics.default_range()
            self.start, self.end = start.isoformat(), end.isoformat()
        self._compute()

    @rx.event
    def apply_range(self, form: dict):
        if self._admin() is None:
            return
        self.start, self.end = str(form.get("start", "")), str(form.get("end", ""))
        self._compute()

    @rx.event
    def last_days(self, days: int):
        if self._admin() is None:
            return
        start, end = analytics.default_range(length=int(days))
        self.start, self.end = start.isoformat(), end.isoformat()
        self._compute()
