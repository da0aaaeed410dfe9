"""Credits over real HTTP: the price before and in the answer, the 402, your balance and ledger, admins'
views and changes, and parallel submissions that cannot overspend (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from smartspec_app.api import build_api
from smartspec_app.models import CreditAccount, CreditLedgerEntry, GenerationTask, User
from smartspec_app.services import keys, worker
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import make_user
from tests.support.servers import serve

IMAGE = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "A lighthouse", "parameters": {"resolution": "1K"}}


@pytest.fixture
def app_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RATE_LIMIT_USER", "10000/minute")
    monkeypatch.setenv("CREDITS_STARTING_BALANCE", "90")  # five Nano Banana Pro images
    monkeypatch.setattr(worker, "enqueue", lambda _task_id: None)  # the charge is what is tested, not the run
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture
def client(app_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, timeout=60) as c:
        yield c


def bearer(session: Session, user: User) -> dict[str, str]:
    _row, plain = keys.create_api_token(session, keys.get_key_manager(), user, "credits")
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_parallel_submissions_cannot_overspend(app_url: str, session: Session) -> None:
    make_user(session, "first_admin")
    user = make_user(session, "racer")
    headers = bearer(session, user)

    def submit(n: int) -> int:
        with httpx.Client(base_url=app_url, timeout=60) as c:
            return c.post("/api/generation/generate", json={**IMAGE, "prompt": f"Race {n}"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(submit, range(16)))
    assert statuses == [202] * 5 + [402] * 11  # 90 credits: exactly five 18-credit images
    session.expire_all()
    account = session.get(CreditAccount, user.id)
    assert account.balance == 0 and account.period_spent == 90_00
    held = session.exec(select(func.sum(CreditLedgerEntry.amount)).where(CreditLedgerEntry.kind == "hold")).one()
    tasks = session.exec(select(func.count()).select_from(GenerationTask).where(GenerationTask.user_id == user.id)).one()
    assert held == -90_00 and tasks == 5


def test_the_price_before_in_the_answer_and_the_402(client: httpx.Client, session: Session) -> None:
    make_user(session, "first_admin2")
    user = make_user(session, "buyer")
    headers = bearer(session, user)

    quote = client.post("/api/generation/estimate", json=IMAGE, headers=headers).json()
    assert quote == {"price": 18.0, "balance": 90.0, "month_left": None, "affordable": True, "message": "", "provider": "sandbox"}
    four_k = {**IMAGE, "parameters": {"resolution": "4K"}}
    assert client.post("/api/generation/estimate", json=four_k, headers=headers).json()["price"] == 24.0
    bad = client.post("/api/generation/estimate", json={**IMAGE, "parameters": {"resolution": "8K"}}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "parameters.resolution"

    for _ in range(3):
        task = client.post("/api/generation/generate", json=four_k, headers=headers)
        assert task.status_code == 202 and task.json()["estimated_credits"] == 24.0 and task.json()["credits_used"] == 0
    assert client.post("/api/generation/estimate", json=four_k, headers=headers).json()["affordable"] is False
    refused = client.post("/api/generation/generate", json=four_k, headers=headers)
    assert refused.status_code == 402
    error = refused.json()["error"]
    assert error["code"] == "insufficient_credits" and "costs 24.00 credits and your balance is 18.00" in error["message"]
    assert error["details"] == {"price": 24.0, "balance": 18.0}

    mine = client.get("/api/credits", headers=headers).json()
    assert (mine["balance"], mine["held"], mine["monthly_quota"], mine["month_spent"]) == (18.0, 72.0, None, 72.0)
    ledger = client.get("/api/credits/ledger", headers=headers).json()
    assert [(e["kind"], e["amount"], e["provider"]) for e in ledger["items"]] == [("hold", -24.0, "sandbox")] * 3 + [("grant", 90.0, None)]
    assert ledger["items"][0]["balance_after"] == 18.0 and ledger["total"] == 4
    assert client.get("/api/credits").status_code == 401


def test_admins_see_everyone_and_change_balances_and_quotas(client: httpx.Client, session: Session) -> None:
    admin, user = make_user(session, "boss"), make_user(session, "worker_bee")
    admin_headers, user_headers = bearer(session, admin), bearer(session, user)

    for method, path, body in (
        ("GET", "/api/admin/credits/accounts", None),
        ("GET", "/api/admin/credits/ledger", None),
        ("POST", f"/api/admin/credits/accounts/{user.id}/adjust", {"amount": 10, "reason": "me"}),
        ("PUT", f"/api/admin/credits/accounts/{user.id}/quota", {"monthly_quota": 1}),
    ):
        assert client.request(method, path, json=body, headers=user_headers).status_code == 403

    added = client.post(
        f"/api/admin/credits/accounts/{user.id}/adjust", json={"amount": 110, "reason": "Pilot customer"}, headers=admin_headers
    )
    assert added.status_code == 200 and added.json()["balance"] == 200.0
    below = client.post(f"/api/admin/credits/accounts/{user.id}/adjust", json={"amount": -500, "reason": "x"}, headers=admin_headers)
    assert below.status_code == 409 and below.json()["error"]["details"]["field"] == "amount"  # the stored balance decides
    for refused in (
        {"amount": 0, "reason": "x"},
        {"amount": 0.004, "reason": "x"},
        {"amount": True, "reason": "x"},
        {"amount": 2e9, "reason": "x"},
    ):
        answer = client.post(f"/api/admin/credits/accounts/{user.id}/adjust", json=refused, headers=admin_headers)
        assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "amount", refused
    for refused in (
        {"monthly_quota": False},
        {"monthly_quota": -0.5},
        {"monthly_quota": "30"},
    ):  # what schemathesis found accepted or refused unlike the document
        answer = client.put(f"/api/admin/credits/accounts/{user.id}/quota", json=refused, headers=admin_headers)
        assert answer.status_code == 422 and answer.json()["error"]["details"]["field"] == "monthly_quota", refused
    quota = client.put(f"/api/admin/credits/accounts/{user.id}/quota", json={"monthly_quota": 30, "reason": "trial"}, headers=admin_headers)
    assert quota.json()["monthly_quota"] == 30.0 and quota.json()["quota_is_own"] is True
    assert client.post("/api/generation/generate", json=IMAGE, headers=user_headers).status_code == 202
    over = client.post("/api/generation/generate", json=IMAGE, headers=user_headers)
    assert over.status_code == 402 and "monthly quota of 30.00" in over.json()["error"]["message"]

    accounts = client.get("/api/admin/credits/accounts", params={"q": "worker"}, headers=admin_headers).json()
    assert [(a["username"], a["balance"], a["monthly_quota"], a["month_spent"]) for a in accounts["items"]] == [
        ("worker_bee", 182.0, 30.0, 18.0)
    ]
    ledger = client.get("/api/admin/credits/ledger", params={"user_id": user.id}, headers=admin_headers).json()
    adjustment = next(e for e in ledger["items"] if e["kind"] == "adjustment")
    assert (adjustment["actor"], adjustment["note"], adjustment["amount"]) == ("boss", "Pilot customer", 110.0)
    assert any(e["kind"] == "quota" and e["note"] == "Monthly quota set to 30.00: trial" for e in ledger["items"])
    sandbox_only = client.get("/api/admin/credits/ledger", params={"provider": "sandbox"}, headers=admin_headers).json()
    assert {e["provider"] for e in sandbox_only["items"]} == {"sandbox"}
    assert client.get("/api/admin/credits/ledger", params={"user_id": 999999}, headers=admin_headers).status_code == 404
    assert (
        client.post("/api/admin/credits/accounts/999999/adjust", json={"amount": 1, "reason": "x"}, headers=admin_headers).status_code
        == 404
    )
