"""Credits on the pages: the user's balance and ledger (/account), everyone's for admins (/admin/credits).

Every admin event checks the user on the server (AdminState._admin); the services check again.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import credits
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.services.wording import noun_for
from smartspec_app.state.admin import AdminState
from smartspec_app.state.auth import AuthState

LEDGER_PAGE_SIZE = 20
ACCOUNTS_PAGE_SIZE = 25
KIND_WORDS = {
    "grant": "Starting balance",
    "hold": "Held for a generation",
    "settle": "Charged (completed)",
    "refund": "Refunded",
    "adjustment": "Adjusted by an admin",
    "quota": "Monthly quota",
}


@dataclasses.dataclass
class LedgerView:
    id: int = 0
    when: str = ""
    username: str = ""
    kind: str = ""
    what: str = ""
    amount: str = ""
    balance_after: str = ""
    provider: str = ""
    task_id: str = ""
    note: str = ""


@dataclasses.dataclass
class CreditSummaryView:
    balance: str = ""
    held: str = ""
    quota: str = ""  # "" when there is none
    month: str = ""
    month_spent: str = ""
    month_left: str = ""
    sandbox_spent: str = ""
    kie_spent: str = ""


@dataclasses.dataclass
class AccountView:
    user_id: int = 0
    username: str = ""
    email: str = ""
    balance: str = ""
    quota: str = ""
    quota_is_own: bool = False
    month_spent: str = ""


def amount(value: float | None, signed: bool = False) -> str:
    if value is None:
        return ""
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def ledger_view(row: credits.LedgerRow) -> LedgerView:
    e = row.entry
    note = e.note + (f" (by {row.actor})" if row.actor else "")
    if e.provider_credits is not None:
        note += f" · kie.ai reported {e.provider_credits:,.2f}"
    return LedgerView(
        id=e.id or 0,
        when=e.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        username=row.username,
        kind=e.kind,
        what=KIND_WORDS.get(e.kind, e.kind),
        amount=amount(credits.credits_of(e.amount), signed=True),
        balance_after=amount(credits.credits_of(e.balance_after)),
        provider=e.provider or "",
        task_id=e.task_id or "",
        note=note,
    )


def summary_view(s: credits.CreditSummary) -> CreditSummaryView:
    return CreditSummaryView(
        balance=amount(s.balance),
        held=amount(s.held),
        quota=amount(s.monthly_quota) + (" (set for you)" if s.quota_is_own else "") if s.monthly_quota is not None else "",
        month=s.month,
        month_spent=amount(s.month_spent),
        month_left=amount(s.month_left),
        sandbox_spent=amount(s.sandbox_spent),
        kie_spent=amount(s.kie_spent),
    )


class CreditsState(AuthState):
    """/account's credits card: the balance, this month against the quota, and the ledger."""

    summary: CreditSummaryView = CreditSummaryView()
    ledger: list[LedgerView] = []
    ledger_page: int = 1
    ledger_total: int = 0

    @rx.var
    def ledger_pages(self) -> int:
        return max(1, -(-self.ledger_total // LEDGER_PAGE_SIZE))

    def _load(self, user: User) -> None:
        with session_scope() as session:
            self.summary = summary_view(credits.summary(session, user.id))
            page = credits.ledger(session, user.id, page=self.ledger_page, page_size=LEDGER_PAGE_SIZE)
            self.ledger, self.ledger_total = [ledger_view(r) for r in page.rows], page.total

    @rx.event
    def on_load(self):
        user = self._current_user()
        if user is None:
            return  # AccountState.on_load sends the visitor to the log-in page
        self.ledger_page = 1
        self._load(user)

    @rx.event
    def go_to_ledger_page(self, page: int):
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/account")
        self.ledger_page = max(1, min(int(page), self.ledger_pages))
        self._load(user)


class AdminCreditsState(AdminState):
    """/admin/credits: every user's balance, quota and spending; adjustments and quotas; the whole ledger."""

    accounts: list[AccountView] = []
    accounts_page: int = 1
    accounts_total: int = 0
    search: str = ""
    provider_filter: str = "all"
    entries: list[LedgerView] = []
    entries_page: int = 1
    entries_total: int = 0
    selected_user_id: int = 0
    selected_username: str = ""
    credits_error: str = ""
    credits_field: str = ""

    @rx.var
    def accounts_pages(self) -> int:
        return max(1, -(-self.accounts_total // ACCOUNTS_PAGE_SIZE))

    @rx.var
    def entries_pages(self) -> int:
        return max(1, -(-self.entries_total // LEDGER_PAGE_SIZE))

    def _load(self, admin: User) -> None:
        with session_scope() as session:
            rows, self.accounts_total = credits.accounts(
                session, admin, page=self.accounts_page, page_size=ACCOUNTS_PAGE_SIZE, q=self.search
            )
            self.accounts = [
                AccountView(
                    r.user_id, r.username, r.email, amount(r.balance), amount(r.monthly_quota), r.quota_is_own, amount(r.month_spent)
                )
                for r in rows
            ]
            provider = None if self.provider_filter == "all" else self.provider_filter
            page = credits.ledger(
                session, self.selected_user_id or None, page=self.entries_page, page_size=LEDGER_PAGE_SIZE, provider=provider
            )
            self.entries, self.entries_total = [ledger_view(r) for r in page.rows], page.total

    @rx.event
    def on_load(self):
        admin = self._admin()
        if admin is None:
            return rx.redirect("/login?next=/admin/credits") if not self.signed_in else None
        self.accounts_page, self.entries_page, self.credits_error, self.credits_field = 1, 1, "", ""
        self._load(admin)

    @rx.event
    def find(self, form: dict):
        admin = self._admin()
        if admin is None:
            return
        self.search, self.accounts_page = str(form.get("q", "")).strip()[:100], 1
        self._load(admin)

    @rx.event
    def choose_provider(self, value: str):
        admin = self._admin()
        if admin is None:
            return
        self.provider_filter = value if value in ("all", "kie", "sandbox") else "all"
        self.entries_page = 1
        self._load(admin)

    @rx.event
    def select_user(self, user_id: int, username: str):
        """Show one user's ledger and point the adjustment form at them (0: everyone)."""
        admin = self._admin()
        if admin is None:
            return
        self.selected_user_id, self.selected_username, self.entries_page = int(user_id), username, 1
        self.credits_error, self.credits_field = "", ""
        self._load(admin)

    @rx.event
    def go_to_accounts_page(self, page: int):
        admin = self._admin()
        if admin is None:
            return
        self.accounts_page = max(1, min(int(page), self.accounts_pages))
        self._load(admin)

    @rx.event
    def go_to_entries_page(self, page: int):
        admin = self._admin()
        if admin is None:
            return
        self.entries_page = max(1, min(int(page), self.entries_pages))
        self._load(admin)

    def _number(self, text: str, field: str, *, blank_is_none: bool = False) -> float | None:
        text = text.strip().replace(",", "")
        if not text and blank_is_none:
            return None
        try:
            return float(text)
        except ValueError:
            raise SmartSpecError(f"{text or 'Nothing'} is not a number of credits", field=field) from None

    @rx.event
    def adjust(self, form: dict):
        admin = self._admin()
        if admin is None:
            return
        self.credits_error, self.credits_field = "", ""
        try:
            change = self._number(str(form.get("amount", "")), "amount")
            with session_scope() as session:
                credits.adjust(session, admin, self.selected_user_id, change or 0.0, str(form.get("reason", "")))
        except SmartSpecError as exc:
            self.credits_error, self.credits_field = exc.message, exc.field or ""
            return
        self._load(admin)
        return rx.toast.success(f"{self.selected_username}: {change:+,.2f} {noun_for(abs(change), 'credit')}")

    @rx.event
    def set_quota(self, form: dict):
        admin = self._admin()
        if admin is None:
            return
        self.credits_error, self.credits_field = "", ""
        try:
            quota = self._number(str(form.get("monthly_quota", "")), "monthly_quota", blank_is_none=True)
            with session_scope() as session:
                credits.set_quota(session, admin, self.selected_user_id, quota, str(form.get("reason", "")))
        except SmartSpecError as exc:
            self.credits_error, self.credits_field = exc.message, exc.field or ""
            return
        self._load(admin)
        words = f"{quota:,.2f}" if quota is not None else "back to the default"
        return rx.toast.success(f"{self.selected_username}: monthly quota {words}")
