"""/api/credits (your balance and ledger) and /api/admin/credits (everyone's, adjustments, quotas).

Credits are this site's own (services/credits.py): a generation holds its price at submit, keeps it
when it completes and gives it back when it fails or is cancelled. Ledger rows of sandbox tasks say
`provider: "sandbox"`.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from smartspec_app.api.deps import AdminUser, CurrentUser
from smartspec_app.api.schemas import error_responses
from smartspec_app.api.text_types import NonBlankText, Text
from smartspec_app.services import credits
from smartspec_app.services.db import session_scope
from smartspec_app.services.seo import iso

router = APIRouter(tags=["credits"])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The user's id.")]
LedgerKind = Literal["grant", "hold", "settle", "refund", "adjustment", "quota"]


class CreditSummaryOut(BaseModel):
    balance: float = Field(description="Credits you can spend now (held prices are already out of it).")
    held: float = Field(description="Credits held for generations still running.")
    monthly_quota: float | None = Field(description="Credits you may spend per calendar month (UTC); null: no quota.")
    quota_is_own: bool = Field(description="An admin set your quota (else the site's default).")
    month: str = Field(description="The month `month_spent` counts, YYYY-MM (UTC).")
    month_spent: float
    month_left: float | None
    sandbox_spent: float = Field(description="Credits charged for sandbox generations, all time (not kie.ai spend).")
    kie_spent: float = Field(description="Credits charged for kie.ai generations, all time.")


class LedgerEntryOut(BaseModel):
    id: int
    user_id: int
    username: str
    kind: LedgerKind
    amount: float = Field(description="Credits added to the balance (negative: taken).")
    balance_after: float
    task_id: str | None
    provider: str | None = Field(description="kie or sandbox: whose generation the row is about (null for grants, adjustments).")
    provider_credits: float | None = Field(description="The provider's own figure for the task, when it reports one.")
    actor: str = Field(description="The admin who made an adjustment or set a quota.")
    note: str
    created_at: str


class LedgerPageOut(BaseModel):
    items: list[LedgerEntryOut]
    page: int
    page_size: int
    total: int
    has_more: bool


class AccountOut(BaseModel):
    user_id: int
    username: str
    email: str
    balance: float
    monthly_quota: float | None
    quota_is_own: bool
    month_spent: float


class AccountPageOut(BaseModel):
    items: list[AccountOut]
    page: int
    page_size: int
    total: int
    has_more: bool


class AdjustRequest(BaseModel):
    amount: float = Field(
        strict=True,  # a number: `true` is not one credit
        ge=-credits.MAX_AMOUNT,
        le=credits.MAX_AMOUNT,
        description="Credits to add; negative to take (the balance never goes below zero). At least 0.01 either way; "
        "kept to the hundredth.",
        json_schema_extra={"not": {"exclusiveMinimum": -credits.MIN_AMOUNT, "exclusiveMaximum": credits.MIN_AMOUNT}},
    )
    reason: NonBlankText = Field(max_length=1000, description="Why: kept in the user's ledger with your name.")


class QuotaRequest(BaseModel):
    monthly_quota: float | None = Field(
        strict=True,
        ge=0,
        le=credits.MAX_AMOUNT,
        description="Credits per calendar month; null: the site's default (CREDITS_MONTHLY_QUOTA).",
    )
    reason: Text = Field("", max_length=500)


def ledger_json(row: credits.LedgerRow) -> dict[str, Any]:
    entry = row.entry
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "username": row.username,
        "kind": entry.kind,
        "amount": credits.credits_of(entry.amount),
        "balance_after": credits.credits_of(entry.balance_after),
        "task_id": entry.task_id,
        "provider": entry.provider,
        "provider_credits": entry.provider_credits,
        "actor": row.actor,
        "note": entry.note,
        "created_at": iso(entry.created_at),
    }


def _ledger_page(page: credits.LedgerPage) -> dict[str, Any]:
    items, more = [ledger_json(r) for r in page.rows], page.page * page.page_size < page.total
    return {"items": items, "page": page.page, "page_size": page.page_size, "total": page.total, "has_more": more}


@router.get("/api/credits", response_model=CreditSummaryOut, responses=error_responses())
def my_credits(user: CurrentUser) -> dict:
    """Your balance, what is held for running generations, and your monthly quota."""
    with session_scope() as session:
        return dataclasses.asdict(credits.summary(session, user.id))


@router.get("/api/credits/ledger", response_model=LedgerPageOut, responses=error_responses())
def my_ledger(user: CurrentUser, page: int = Query(1, ge=1, le=100_000), page_size: int = Query(50, ge=1, le=200)) -> dict:
    """Every change to your credits, newest first."""
    with session_scope() as session:
        return _ledger_page(credits.ledger(session, user.id, page=page, page_size=page_size))


@router.get("/api/admin/credits/accounts", response_model=AccountPageOut, responses=error_responses(403))
def all_accounts(
    admin: AdminUser,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=200),
    q: Annotated[Text, Query(max_length=100, description="Part of a username or e-mail address.")] = "",
) -> dict:
    """Every user's balance, monthly quota and this month's spending."""
    with session_scope() as session:
        rows, total = credits.accounts(session, admin, page=page, page_size=page_size, q=q)
    items = [dataclasses.asdict(r) for r in rows]
    return {"items": items, "page": page, "page_size": page_size, "total": total, "has_more": page * page_size < total}


@router.get("/api/admin/credits/ledger", response_model=LedgerPageOut, responses=error_responses(403, 404))
def all_ledger(
    admin: AdminUser,
    user_id: int | None = Query(None, ge=1, le=2**31 - 1),
    provider: Literal["kie", "sandbox"] | None = None,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=200),
) -> dict:
    """The ledger of every user (or one), newest first; `provider` separates real kie.ai charges from sandbox ones."""
    with session_scope() as session:
        credits.require_admin(admin)
        return _ledger_page(credits.ledger(session, user_id, page=page, page_size=page_size, provider=provider))


@router.post("/api/admin/credits/accounts/{user_id}/adjust", response_model=CreditSummaryOut, responses=error_responses(403, 404, 409))
def adjust_balance(user_id: UserId, body: AdjustRequest, admin: AdminUser) -> dict:
    """Add or take credits; the ledger keeps the amount, your name and the reason."""
    with session_scope() as session:
        return dataclasses.asdict(credits.adjust(session, admin, user_id, body.amount, body.reason))


@router.put("/api/admin/credits/accounts/{user_id}/quota", response_model=CreditSummaryOut, responses=error_responses(403, 404))
def set_quota(user_id: UserId, body: QuotaRequest, admin: AdminUser) -> dict:
    """Set the user's monthly quota (null: the site's default); recorded in their ledger."""
    with session_scope() as session:
        return dataclasses.asdict(credits.set_quota(session, admin, user_id, body.monthly_quota, body.reason))
