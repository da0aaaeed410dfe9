"""App credits (services/credits.py) on SQLite and PostgreSQL: the starting grant, a hold at submit,
settle on completion and refund on failure or cancel (through the real worker and the live sandbox),
the balance and monthly quota refusing before anything is written, and admins' audited changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, func, select

from smartspec_app.models import CreditAccount, CreditLedgerEntry, GenerationTask, TaskStatus, User
from smartspec_app.services import auth, catalog, credits, generation
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import Conflict, InsufficientCredits, NotFound, PermissionDenied, ValidationError
from smartspec_app.settings import reload_settings
from tests.services.test_generation import make_ctx, run_to_end, sandbox_url  # noqa: F401  (sandbox_url: a fixture)

NANO = 18.0  # Nano Banana Pro at 1K/2K: kie.ai's price, the catalog's rule


@pytest.fixture
def settings(app_env: Path, monkeypatch: pytest.MonkeyPatch):
    """Set CREDITS_* for the test."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reload_settings()

    apply(CREDITS_STARTING_BALANCE="100", CREDITS_MONTHLY_QUOTA="0")
    return apply


def new_user(engine, name: str) -> User:
    with session_scope(engine) as s:
        return auth.create_user(s, f"{name}@example.com", "a long password", username=name)


def start(engine, user: User, prompt: str = "A lighthouse", **params) -> GenerationTask:
    with session_scope(engine) as s:
        return generation.start_generation(s, user, "image", "nano-banana-pro", prompt, params, "sandbox")


def balance(engine, user: User) -> float:
    with session_scope(engine) as s:
        return credits.summary(s, user.id).balance


def kinds(engine, user: User) -> list[tuple[str, float, str | None]]:
    with session_scope(engine) as s:
        rows = s.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user.id).order_by(CreditLedgerEntry.id)).all()
        return [(r.kind, credits.credits_of(r.amount), r.provider) for r in rows]


def task_count(engine, user: User) -> int:
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(GenerationTask).where(GenerationTask.user_id == user.id)).one()


def test_the_price_is_held_at_submit_and_settled_on_completion(engine, storage, sandbox_url, settings) -> None:  # noqa: F811
    user = new_user(engine, "payer")
    task = start(engine, user)
    assert task.credits_held == NANO == catalog.request_credits(catalog.get_model("nano-banana-pro"), task.parameters, task.prompt, 1)
    assert balance(engine, user) == 100 - NANO
    with session_scope(engine) as s:
        assert credits.summary(s, user.id).held == NANO

    run_to_end(make_ctx(engine, storage, sandbox_url), task.id)
    with session_scope(engine) as s:
        done = s.get(GenerationTask, task.id)
        summary = credits.summary(s, user.id)
    assert done.status == TaskStatus.COMPLETED and done.credits_used == NANO
    assert (summary.balance, summary.held, summary.sandbox_spent, summary.kie_spent) == (100 - NANO, 0, NANO, 0)
    assert kinds(engine, user) == [("grant", 100, None), ("hold", -NANO, "sandbox"), ("settle", 0, "sandbox")]


def test_a_failed_task_is_refunded(engine, storage, sandbox_url, settings) -> None:  # noqa: F811
    user = new_user(engine, "unlucky")
    task = start(engine, user, "[sandbox:fail] A lighthouse")
    run_to_end(make_ctx(engine, storage, sandbox_url), task.id)
    with session_scope(engine) as s:
        assert s.get(GenerationTask, task.id).status == TaskStatus.FAILED
    assert balance(engine, user) == 100
    assert kinds(engine, user)[-1] == ("refund", NANO, "sandbox")


def test_a_cancelled_task_is_refunded_once(engine, settings) -> None:
    user = new_user(engine, "canceller")
    task = start(engine, user, num_images=2)  # two provider tasks: twice the price
    assert task.credits_held == 2 * NANO and balance(engine, user) == 100 - 2 * NANO
    with session_scope(engine) as s:
        generation.cancel_task(s, user, task.id)
    with session_scope(engine) as s:
        assert credits.task_ended(s, s.get(GenerationTask, task.id), TaskStatus.CANCELLED) == 0  # answered already: no second refund
    assert balance(engine, user) == 100
    assert [k for k, _a, _p in kinds(engine, user)] == ["grant", "hold", "refund"]


def test_over_the_balance_is_refused_before_anything_is_written(engine, settings) -> None:
    user = new_user(engine, "thrifty")
    for _ in range(5):
        start(engine, user)  # 5 x 18 = 90 of 100
    with pytest.raises(InsufficientCredits) as refused:
        start(engine, user)
    assert refused.value.http_status == 402 and refused.value.code == "insufficient_credits"
    assert "costs 18.00 credits and your balance is 10.00" in refused.value.message
    assert refused.value.details == {"price": 18.0, "balance": 10.0}
    assert task_count(engine, user) == 5 and balance(engine, user) == 10
    cheap = catalog.get_model("google/imagen4-fast")
    with session_scope(engine) as s:  # a cheaper model still fits
        generation.start_generation(s, user, "image", cheap.id, "A fox", {}, "sandbox")
    assert balance(engine, user) == 10 - catalog.request_credits(cheap, {}, "A fox", 1)


def test_the_monthly_quota_default_own_and_next_month(engine, settings) -> None:
    settings(CREDITS_STARTING_BALANCE="1000", CREDITS_MONTHLY_QUOTA="40")
    admin, user = new_user(engine, "admin_q"), new_user(engine, "quota_user")  # the first account is an admin
    start(engine, user)
    start(engine, user)  # 36 of 40
    with pytest.raises(InsufficientCredits, match=r"only 4\.00 of your monthly quota of 40\.00 is left"):
        start(engine, user)
    with session_scope(engine) as s:
        quote = credits.quote(s, user.id, NANO)
        assert not quote.affordable and "monthly quota" in quote.message and quote.month_left == 4
        summary = credits.set_quota(s, admin, user.id, 100, "a bigger project")
        assert (summary.monthly_quota, summary.quota_is_own, summary.month_left) == (100, True, 64)
    start(engine, user)
    with session_scope(engine) as s:  # a new month: the spending counts from zero again
        s.exec(update(CreditAccount).where(CreditAccount.user_id == user.id).values(period="2000-01", period_spent=100_00))
    with session_scope(engine) as s:
        assert credits.summary(s, user.id).month_spent == 0
    start(engine, user)
    with session_scope(engine) as s:
        assert credits.summary(s, user.id).month_spent == NANO
        credits.set_quota(s, admin, user.id, None)
        assert credits.summary(s, user.id).monthly_quota == 40 and not credits.summary(s, user.id).quota_is_own


def test_a_refund_gives_the_months_quota_back(engine, settings) -> None:
    settings(CREDITS_STARTING_BALANCE="1000", CREDITS_MONTHLY_QUOTA="20")
    user = new_user(engine, "refunded")
    task = start(engine, user)
    with pytest.raises(InsufficientCredits):
        start(engine, user)
    with session_scope(engine) as s:
        generation.cancel_task(s, user, task.id)
    start(engine, user)  # the cancelled task's 18 came back to the quota too


def test_admins_adjust_with_a_reason_and_never_below_zero(engine, settings) -> None:
    admin, user = new_user(engine, "admin_a"), new_user(engine, "adjusted")
    with session_scope(engine) as s:
        assert credits.adjust(s, admin, user.id, 250.5, "Conference prize").balance == 350.5
        with pytest.raises(Conflict, match="below zero"):  # the stored balance decides: a 409, not a 422
            credits.adjust(s, admin, user.id, -400, "Too much")
        for refused in (0, 0.004, -0.009, 1_000_000_001):
            with pytest.raises(ValidationError) as out_of_range:
                credits.adjust(s, admin, user.id, refused, "Out of range")
            assert out_of_range.value.field == "amount"
        with pytest.raises(ValidationError) as no_reason:
            credits.adjust(s, admin, user.id, 5, "  ")
        assert no_reason.value.field == "reason"
        with pytest.raises(PermissionDenied):
            credits.adjust(s, user, user.id, 5, "I deserve it")
        with pytest.raises(NotFound):
            credits.adjust(s, admin, 999_999, 5, "Nobody")
        assert credits.adjust(s, admin, user.id, -50.5, "Refund of a chargeback").balance == 300
    with session_scope(engine) as s:
        page = credits.ledger(s, user.id)
        rows = [(r.entry.kind, credits.credits_of(r.entry.amount), r.actor, r.entry.note) for r in page.rows]
        everyone, _total = credits.accounts(s, admin)
    assert rows == [
        ("adjustment", -50.5, "admin_a", "Refund of a chargeback"),
        ("adjustment", 250.5, "admin_a", "Conference prize"),
        ("grant", 100.0, "", "Starting balance"),
    ]
    assert {(a.username, a.balance) for a in everyone} == {("admin_a", 100.0), ("adjusted", 300.0)}


def test_a_billion_credits_fits_and_the_ceiling_holds(engine, settings) -> None:
    """Amounts are 64-bit hundredths: a billion credits (10^11) passed a 32-bit INTEGER on PostgreSQL (a 500)."""
    admin, user = new_user(engine, "admin_b"), new_user(engine, "rich")
    with session_scope(engine) as s:
        for _ in range(3):
            credits.adjust(s, admin, user.id, credits.MAX_AMOUNT, "Budget")
        assert credits.adjust(s, admin, user.id, -0.01, "A hundredth").balance == 3_000_000_099.99
        credits.set_quota(s, admin, user.id, credits.MAX_AMOUNT)
    with session_scope(engine) as s:
        s.exec(update(CreditAccount).where(CreditAccount.user_id == user.id).values(balance=credits.units(credits.MAX_BALANCE) - 1))
    with session_scope(engine) as s, pytest.raises(Conflict, match="cannot pass"):
        credits.adjust(s, admin, user.id, 1, "Over the ceiling")


def test_the_starting_balance_is_granted_once(session: Session, engine, settings) -> None:
    user = new_user(engine, "newcomer")
    for _ in range(3):
        credits.ensure_account(session, user.id)
        session.commit()
    grants = session.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user.id)).all()
    assert [(g.kind, g.amount) for g in grants] == [("grant", 100_00)]


def test_a_sign_up_grant_of_zero_gives_nothing(session: Session, engine, settings) -> None:
    settings(CREDITS_STARTING_BALANCE="0")
    user = new_user(engine, "no_grant")
    assert credits.summary(session, user.id).balance == 0
    session.commit()
    assert session.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user.id)).all() == []
    with pytest.raises(InsufficientCredits):
        start(engine, user)


@pytest.mark.parametrize(
    ("price", "balance", "month_left", "reason"),
    [
        (18.0, 500.0, None, ""),
        (18.0, 18.0, 18.0, ""),
        (18.0, 3.0, None, "Needs 18.00 credits; you have 3.00"),
        (1.0, 0.5, None, "Needs 1.00 credit; you have 0.50"),
        (18.0, 3.0, 2.0, "Needs 18.00 credits; you have 3.00"),  # the balance first: the quota would not help
        (18.0, 500.0, 2.0, "This month's quota has 2.00 credits left"),
        (18.0, 500.0, 1.0, "This month's quota has 1.00 credit left"),
        (0.1 + 0.2, 0.3, None, ""),  # compared in hundredths, as `hold` does
    ],
)
def test_shortfall_says_why_generate_is_disabled(price: float, balance: float, month_left: float | None, reason: str) -> None:
    assert credits.shortfall(price, balance, month_left) == reason
