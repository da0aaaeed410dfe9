"""App credits: what this site charges its users for generations, held, settled and refunded.

Balances are the app's own credits, not the operator's kie.ai balance. Every generation costs its
model's published kie.ai price for its parameters (catalog.request_credits), the same in the sandbox,
whose charges are marked `provider = "sandbox"` in the ledger so nobody mistakes them for kie.ai spend.

The life of a charge, each step one `credit_ledger` row written in the same transaction as the task's
own change:
- **hold** when the task is created (`hold`, from generation.start_generation): the price leaves the
  balance at once, and counts against the month's quota. A single conditional UPDATE checks the
  balance and the quota and takes the price, so concurrent submissions cannot overspend (the database
  serializes the updates of one account row; the second sees the first's result).
- **settle** when the task completes (`task_ended`): the charge becomes final at the held price, with
  the provider's own figure where it reports one; a difference (a price changed meanwhile) would be
  given back or taken here.
- **refund** when the task fails or is cancelled (`task_ended`): the held price comes back, and off
  the month's spending when it was held this month.
`task_ended` is the one place where a task's end touches credits; generation calls it from every
transition to completed, failed or cancelled. Admins adjust balances (an `adjustment` row with who and
why) and set per-user monthly quotas (a `quota` row); CREDITS_STARTING_BALANCE is granted once, when
an account is first needed, and CREDITS_MONTHLY_QUOTA is the default quota (0: none).

Amounts are stored as integer hundredths of a credit (exact on SQLite and PostgreSQL alike) and
shown as credits with two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from smartspec_app.models import CreditAccount, CreditLedgerEntry, GenerationTask, TaskStatus, User, utcnow
from smartspec_app.services.errors import Conflict, InsufficientCredits, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.wording import credits_text
from smartspec_app.settings import get_settings

MAX_AMOUNT = 1_000_000_000  # credits, for an adjustment or a quota
MIN_AMOUNT = 0.01  # the smallest adjustment: balances are kept in hundredths
MAX_BALANCE = 1_000_000_000_000  # credits: hundredths stay exact as floats in the API's answers
MAX_NOTE = 1000
KINDS = ("grant", "hold", "settle", "refund", "adjustment", "quota")


def units(credits: float) -> int:
    """Credits → stored hundredths."""
    return round(credits * 100)


def credits_of(hundredths: int | None) -> float:
    """Stored hundredths → credits."""
    return round((hundredths or 0) / 100, 2)


def period_of(moment: datetime | None = None) -> str:
    """The UTC calendar month a moment belongs to, "2026-12"."""
    return (moment or utcnow()).strftime("%Y-%m")


def _default_quota() -> int | None:
    quota = get_settings().credits_monthly_quota
    return units(quota) if quota > 0 else None


# --- accounts ----------------------------------------------------------------------------------


def ensure_account(session: Session, user_id: int) -> None:
    """Open the user's account with the starting balance (and its grant row) unless it exists; safe
    when two requests open it at once (the loser's INSERT does nothing)."""
    if session.get(CreditAccount, user_id) is not None:
        return
    start, now = units(get_settings().credits_starting_balance), utcnow()
    values = {"user_id": user_id, "balance": start, "period": period_of(now), "period_spent": 0, "created_at": now, "updated_at": now}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.exec(insert(CreditAccount).values(**values).on_conflict_do_nothing(index_elements=["user_id"]))  # type: ignore[call-overload]
    if result.rowcount == 1 and start:
        _entry(session, user_id, "grant", start, start, note="Starting balance")


def _account(session: Session, user_id: int) -> CreditAccount:
    ensure_account(session, user_id)
    account = session.get(CreditAccount, user_id)
    session.refresh(account)  # the row as the last UPDATE left it
    return account


def _entry(session: Session, user_id: int, kind: str, amount: int, balance_after: int, **fields) -> CreditLedgerEntry:
    entry = CreditLedgerEntry(user_id=user_id, kind=kind, amount=amount, balance_after=balance_after, **fields)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class CreditSummary:
    balance: float
    held: float  # held for tasks still running (already out of the balance)
    monthly_quota: float | None  # None: no monthly quota
    quota_is_own: bool  # set for this user by an admin (else the site's default)
    month: str
    month_spent: float
    month_left: float | None
    sandbox_spent: float  # settled sandbox charges, all time
    kie_spent: float  # settled kie.ai charges, all time


def summary(session: Session, user_id: int) -> CreditSummary:
    account = _account(session, user_id)
    quota = account.monthly_quota if account.monthly_quota is not None else _default_quota()
    month = period_of()
    spent = account.period_spent if account.period == month else 0
    held = session.exec(
        select(func.coalesce(func.sum(GenerationTask.credits_held), 0.0)).where(
            GenerationTask.user_id == user_id, col(GenerationTask.status).in_(TaskStatus.ACTIVE)
        )
    ).one()
    by_provider = dict(
        session.exec(
            select(CreditLedgerEntry.provider, func.sum(CreditLedgerEntry.amount))
            .where(CreditLedgerEntry.user_id == user_id, col(CreditLedgerEntry.kind).in_(("hold", "settle", "refund")))
            .where(col(CreditLedgerEntry.task_id).in_(select(CreditLedgerEntry.task_id).where(CreditLedgerEntry.kind == "settle")))
            .group_by(CreditLedgerEntry.provider)
        ).all()
    )
    return CreditSummary(
        balance=credits_of(account.balance),
        held=round(float(held), 2),
        monthly_quota=credits_of(quota) if quota is not None else None,
        quota_is_own=account.monthly_quota is not None,
        month=month,
        month_spent=credits_of(spent),
        month_left=credits_of(max(0, quota - spent)) if quota is not None else None,
        sandbox_spent=credits_of(-(by_provider.get("sandbox") or 0)),
        kie_spent=credits_of(-(by_provider.get("kie") or 0)),
    )


def shortfall(price: float, balance: float, month_left: float | None) -> str:
    """Why a generation priced `price` would be refused now, in a few words ("" when it would not): shown
    beside the disabled Generate button. `hold` makes the same check, and has the last word, when one is sent."""
    if units(price) > units(balance):
        return f"Needs {credits_text(price)}; you have {balance:,.2f}"
    if month_left is not None and units(price) > units(month_left):
        return f"This month's quota has {credits_text(month_left)} left"
    return ""


# --- a task's charge ---------------------------------------------------------------------------


def hold(session: Session, user: User, task: GenerationTask, price: float) -> None:
    """Take `price` for a new task, or refuse (InsufficientCredits, HTTP 402) when it is over the
    balance or what is left of the month's quota; nothing is written then. The caller commits."""
    ensure_account(session, user.id)
    amount, month = units(price), period_of()
    default = _default_quota()
    spent = case((CreditAccount.period == month, CreditAccount.period_spent), else_=0)
    quota = func.coalesce(CreditAccount.monthly_quota, default) if default is not None else CreditAccount.monthly_quota
    result = session.exec(
        update(CreditAccount)
        .where(
            CreditAccount.user_id == user.id,
            CreditAccount.balance >= amount,
            or_(quota.is_(None), spent + amount <= quota),
        )
        .values(balance=CreditAccount.balance - amount, period_spent=spent + amount, period=month, updated_at=utcnow())
    )
    account = _account(session, user.id)
    if result.rowcount != 1:
        _refuse(account, amount, month, default)
    task.credits_held = credits_of(amount)
    session.add(task)
    _entry(session, user.id, "hold", -amount, account.balance, task_id=task.id, provider=task.provider, period=month)


def _refuse(account: CreditAccount, amount: int, month: str, default: int | None) -> None:
    price, balance = credits_of(amount), credits_of(account.balance)
    details = {"price": price, "balance": balance}
    if account.balance < amount:
        raise InsufficientCredits(
            f"This generation costs {credits_text(price)} and your balance is {balance:,.2f}. "
            "Pick cheaper settings, or ask an admin for more credits.",
            details=details,
        )
    quota = account.monthly_quota if account.monthly_quota is not None else default
    spent = account.period_spent if account.period == month else 0
    left = credits_of(max(0, (quota or 0) - spent))
    raise InsufficientCredits(
        f"This generation costs {credits_text(price)} and only {left:,.2f} of your monthly quota of "
        f"{credits_of(quota):,.2f} is left for {month}. It renews on the 1st (UTC), or an admin can raise it.",
        details={**details, "monthly_quota": credits_of(quota), "month_left": left},
    )


@dataclass(frozen=True)
class Quote:
    """What a generation would cost the user now, and whether it would be accepted."""

    price: float
    balance: float
    month_left: float | None
    affordable: bool
    message: str  # why not, in the words a refusal would use; "" when affordable


def quote(session: Session, user_id: int, price: float) -> Quote:
    """The check `hold` makes, without taking anything."""
    account = _account(session, user_id)
    amount, month, default = units(price), period_of(), _default_quota()
    quota = account.monthly_quota if account.monthly_quota is not None else default
    spent = account.period_spent if account.period == month else 0
    left = max(0, quota - spent) if quota is not None else None
    message = ""
    if account.balance < amount or (left is not None and amount > left):
        try:
            _refuse(account, amount, month, default)
        except InsufficientCredits as exc:
            message = exc.message
    return Quote(credits_of(amount), credits_of(account.balance), credits_of(left) if left is not None else None, not message, message)


def task_ended(session: Session, task: GenerationTask, status: str, provider_credits: float | None = None) -> float:
    """The one place a task's end reaches its charge: completed settles at the held price, failed and
    cancelled refund it. Call it in the transaction that moved the task to `status`. Returns the
    credits finally charged (0 for a task that held nothing: one started before credits existed)."""
    rows = {e.kind: e for e in session.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.task_id == task.id)).all()}
    held = rows.get("hold")
    if held is None or "settle" in rows or "refund" in rows:  # nothing held, or already answered
        return credits_of(-held.amount) if held is not None and "settle" in rows else 0.0
    taken = -held.amount
    final = taken if status == TaskStatus.COMPLETED else 0
    back = taken - final
    spent = case((CreditAccount.period == held.period, CreditAccount.period_spent - back), else_=CreditAccount.period_spent)
    session.exec(
        update(CreditAccount)
        .where(CreditAccount.user_id == held.user_id)
        .values(balance=CreditAccount.balance + back, period_spent=spent, updated_at=utcnow())
    )
    account = _account(session, held.user_id)
    kind = "settle" if status == TaskStatus.COMPLETED else "refund"
    note = {"settle": "Completed", "refund": f"Task {status}: refunded"}[kind]
    _entry(
        session,
        held.user_id,
        kind,
        back,
        account.balance,
        task_id=task.id,
        provider=held.provider,
        provider_credits=provider_credits,
        period=held.period,
        note=note,
    )
    return credits_of(final)


# --- reading the ledger --------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    entry: CreditLedgerEntry
    username: str
    actor: str  # the admin's username for adjustments and quota changes, else ""


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerRow]
    total: int
    page: int
    page_size: int


def ledger(session: Session, user_id: int | None, *, page: int = 1, page_size: int = 50, provider: str | None = None) -> LedgerPage:
    """Ledger rows, newest first: one user's (`user_id`), or everyone's (None, for admins)."""
    if page < 1:
        raise ValidationError("page starts at 1", field="page")
    if not 1 <= page_size <= 200:
        raise ValidationError("page_size is 1 to 200", field="page_size")
    if user_id is not None:
        _user(session, user_id)  # NotFound for a user that does not exist
        ensure_account(session, user_id)
    query = select(CreditLedgerEntry)
    if user_id is not None:
        query = query.where(CreditLedgerEntry.user_id == user_id)
    if provider:
        query = query.where(CreditLedgerEntry.provider == provider)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(CreditLedgerEntry.created_at).desc(), col(CreditLedgerEntry.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    ids = {r.user_id for r in rows} | {r.actor_id for r in rows if r.actor_id}
    names = dict(session.exec(select(User.id, User.username).where(col(User.id).in_(ids))).all()) if ids else {}
    return LedgerPage(
        [LedgerRow(r, names.get(r.user_id, ""), names.get(r.actor_id, "") if r.actor_id else "") for r in rows], total, page, page_size
    )


# --- admins -----------------------------------------------------------------------------------


def require_admin(actor: User | None) -> None:
    if actor is None or not actor.is_admin or not actor.is_active:
        raise PermissionDenied("Only admins can change credits")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def _note(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Say why", field="reason")
    if len(reason) > MAX_NOTE:
        raise ValidationError(f"Keep the reason under {MAX_NOTE} characters", field="reason")
    return reason


def adjust(session: Session, admin: User, user_id: int, amount: float, reason: str) -> CreditSummary:
    """Add (or with a negative amount, take) credits, with the admin and the reason in the ledger.
    A balance never goes below zero."""
    require_admin(admin)
    _user(session, user_id)
    note = _note(reason)
    if not MIN_AMOUNT <= abs(amount) <= MAX_AMOUNT:
        raise ValidationError(f"The amount is {MIN_AMOUNT} to {MAX_AMOUNT:,} credits, either way", field="amount")
    change = units(amount)
    ensure_account(session, user_id)
    after = CreditAccount.balance + change
    result = session.exec(
        update(CreditAccount)
        .where(CreditAccount.user_id == user_id, after >= 0, after <= units(MAX_BALANCE))
        .values(balance=after, updated_at=utcnow())
    )
    account = _account(session, user_id)
    if result.rowcount != 1:  # what is stored decides, not the request: a 409
        limit = "go below zero" if change < 0 else f"pass {MAX_BALANCE:,} credits"
        raise Conflict(f"The balance is {credits_of(account.balance):,.2f}: it cannot {limit}", field="amount")
    _entry(session, user_id, "adjustment", change, account.balance, actor_id=admin.id, note=note)
    return summary(session, user_id)


def set_quota(session: Session, admin: User, user_id: int, monthly_quota: float | None, reason: str = "") -> CreditSummary:
    """Set one user's monthly quota in credits (None: back to the site's default), recorded in their ledger."""
    require_admin(admin)
    _user(session, user_id)
    if monthly_quota is not None and not 0 <= monthly_quota <= MAX_AMOUNT:
        raise ValidationError(f"The quota is 0 to {MAX_AMOUNT:,} credits a month", field="monthly_quota")
    account = _account(session, user_id)
    account.monthly_quota = units(monthly_quota) if monthly_quota is not None else None
    account.updated_at = utcnow()
    session.add(account)
    words = f"Monthly quota set to {monthly_quota:,.2f}" if monthly_quota is not None else "Monthly quota back to the site's default"
    _entry(session, user_id, "quota", 0, account.balance, actor_id=admin.id, note=f"{words}: {reason.strip()}" if reason.strip() else words)
    return summary(session, user_id)


@dataclass(frozen=True)
class AccountRow:
    user_id: int
    username: str
    email: str
    balance: float
    monthly_quota: float | None
    quota_is_own: bool
    month_spent: float


def accounts(session: Session, admin: User, *, page: int = 1, page_size: int = 50, q: str = "") -> tuple[list[AccountRow], int]:
    """Every user with their balance, quota and this month's spending (no account yet: the starting balance)."""
    require_admin(admin)
    page, page_size = max(1, page), max(1, min(page_size, 200))
    query = select(User, CreditAccount).join(CreditAccount, col(CreditAccount.user_id) == User.id, isouter=True)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(User.username).like(pattern), func.lower(User.email).like(pattern)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(User.id)).offset((page - 1) * page_size).limit(page_size)).all()
    month, default, start = period_of(), _default_quota(), units(get_settings().credits_starting_balance)
    out = []
    for user, account in rows:
        own = account.monthly_quota if account is not None else None
        quota = own if own is not None else default
        spent = account.period_spent if account is not None and account.period == month else 0
        balance = account.balance if account is not None else start
        out.append(
            AccountRow(
                user.id,
                user.username,
                user.email,
                credits_of(balance),
                credits_of(quota) if quota is not None else None,
                own is not None,
                credits_of(spent),
            )
        )
    return out, total
