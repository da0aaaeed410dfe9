"""The "Report" dialog of a gallery item page: any signed-in user reports the item with a reason."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from smartspec_app.services import reports
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import Conflict, SmartSpecError
from smartspec_app.settings import get_settings
from smartspec_app.state.gallery_item import GalleryItemState


class ReportState(GalleryItemState):
    report_open: bool = False
    report_error: str = ""
    reported_item_id: str = ""  # the item this browser reported last (hides the button on its page)

    @rx.var
    def report_sent(self) -> bool:
        return bool(self.reported_item_id) and self.reported_item_id == self.item.id

    @rx.var
    def report_reasons(self) -> list[dict[str, str]]:
        return [{"value": k, "label": v} for k, v in reports.REASONS.items()]

    @rx.event
    def set_report_open(self, value: bool):
        if value and self._current_user() is None:
            return rx.redirect(f"/login?next=/gallery/{quote(self.item.slug)}")
        self.report_open, self.report_error = value, ""

    @rx.event
    def submit_report(self, form: dict):
        user = self._current_user()
        if user is None:
            return rx.redirect(f"/login?next=/gallery/{quote(self.item.slug)}")
        try:
            with session_scope() as session:
                reports.report_item(
                    session,
                    user,
                    self.item.id,
                    str(form.get("reason", "")),
                    str(form.get("details", "")),
                    threshold=get_settings().gallery_report_threshold,
                )
        except Conflict:
            self.report_open, self.reported_item_id = False, self.item.id
            return rx.toast.info("You have already reported this item.")
        except SmartSpecError as exc:
            self.report_error = exc.message
            return
        self.report_open, self.reported_item_id = False, self.item.id
        return rx.toast.success("Thank you: a moderator will look at it.")
