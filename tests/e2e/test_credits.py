"""Credits in the real app: the price on the Generate button follows the settings, a generation over the
balance is refused with a form error and starts nothing, and /account shows the balance and the ledger."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import db_count, db_rows
from tests.e2e.test_generation_flow import sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

LEAVE_TWENTY = """
import sys
from sqlalchemy import update
from sqlmodel import select
from smartspec_app.models import CreditAccount, User
from smartspec_app.services import credits
from smartspec_app.services.db import session_scope
with session_scope() as session:
    user = session.exec(select(User).where(User.email == sys.argv[1])).one()
    credits.ensure_account(session, user.id)
    session.exec(update(CreditAccount).where(CreditAccount.user_id == user.id).values(balance=20_00))
"""


def test_price_on_the_button_the_402_form_error_and_the_ledger(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    expect(page.locator("#generate-price")).to_have_text("· 18 credits")  # Nano Banana Pro, 1K
    page.click("#param-resolution button")
    page.get_by_role("option", name="4K", exact=True).click()
    expect(page.locator("#generate-price")).to_have_text("· 24 credits")  # follows the parameters before submitting
    expect(page.locator("#credit-balance")).to_contain_text("Balance: 500.00 credits")
    expect(page.locator("#credit-balance")).to_contain_text("sandbox")

    live_app.run_python(LEAVE_TWENTY, email)
    page.fill("#prompt", "A lighthouse in 4K")
    page.click("#generate-button")
    expect(page.locator("#form-error")).to_contain_text("This generation costs 24.00 credits and your balance is 20.00")
    expect(page.locator("#credit-balance")).to_contain_text("Balance: 20.00 credits")
    user_id = db_count(live_app, "SELECT id FROM users WHERE email = ?", email)
    assert db_count(live_app, "SELECT count(*) FROM generation_tasks WHERE user_id = ?", user_id) == 0

    page.click("#param-resolution button")
    page.get_by_role("option", name="1K", exact=True).click()
    page.click("#generate-button")
    expect(page.locator("#task-status")).to_have_text("running", timeout=15_000)
    expect(page.locator("#credit-balance")).to_contain_text("Balance: 2.00 credits")
    expect(page.locator("#task-history .task-row .task-charge").first).to_contain_text("18.00 credits")  # held, then charged

    page.goto(live_app.base_url + "/account")
    expect(page.locator("#credits-balance")).to_have_text("2.00")
    rows = page.locator("#credits-ledger .ledger-row")
    expect(rows.first).to_contain_text("Held for a generation")
    expect(rows.first).to_contain_text("-18.00")
    expect(rows.first.locator(".sandbox-credit")).to_be_visible()
    expect(rows.last).to_contain_text("Starting balance")


def test_an_admin_adjusts_a_balance_with_a_reason(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    live_app.run_python(f"import sys; from smartspec_app.cli import main; sys.exit(main(['make-admin', {email!r}]))")
    username = db_rows(live_app, "SELECT username FROM users WHERE email = ?", email)[0][0]
    page.goto(live_app.base_url + "/admin/credits")
    page.fill("#credits-search", username)
    page.press("#credits-search", "Enter")
    expect(page.locator("#credit-accounts .account-row")).to_have_count(1)
    page.locator("#credit-accounts .account-row").get_by_role("button", name="Manage").click()
    page.fill("#adjust-amount", "abc")
    page.fill("#adjust-reason", "Beta tester")
    page.click("#adjust-submit")
    expect(page.locator("#credits-error")).to_contain_text("not a number")
    page.fill("#adjust-amount", "150")
    page.fill("#adjust-reason", "Beta tester")
    page.click("#adjust-submit")
    expect(page.locator("#credit-accounts .account-row")).to_contain_text("650.00")
    expect(page.locator("#admin-ledger .ledger-row").first).to_contain_text("Beta tester (by " + username + ")")


SET_CREDITS = """
import sys
from sqlalchemy import update
from sqlmodel import select
from smartspec_app.models import CreditAccount, User
from smartspec_app.services import credits
from smartspec_app.services.db import session_scope
email, balance, quota = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with session_scope() as session:
    user = session.exec(select(User).where(User.email == email)).one()
    credits.ensure_account(session, user.id)
    values = {"balance": balance, "monthly_quota": quota if quota >= 0 else None}
    session.exec(update(CreditAccount).where(CreditAccount.user_id == user.id).values(**values))
"""


def test_generate_is_disabled_with_the_reason_when_the_price_is_over_the_balance_or_the_quota(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    button, reason = page.locator("#generate-button"), page.locator("#generate-blocked")
    expect(button).to_be_enabled()
    expect(reason).to_have_count(0)

    live_app.run_python(SET_CREDITS, email, "300", "-1")  # 3.00 credits (hundredths), no quota
    page.reload()
    expect(page.locator("#generate-price")).to_have_text("· 18 credits")
    expect(button).to_be_disabled()
    expect(reason).to_have_text("Needs 18.00 credits; you have 3.00")

    live_app.run_python(SET_CREDITS, email, "50000", "200")  # a balance of 500.00, 2.00 left of the month's quota
    page.reload()
    expect(button).to_be_disabled()
    expect(reason).to_have_text("This month's quota has 2.00 credits left")

    live_app.run_python(SET_CREDITS, email, "2000", "-1")  # 20.00: enough for 1K (18), not for 4K (24)
    page.reload()
    expect(button).to_be_enabled()
    page.click("#param-resolution button")
    page.get_by_role("option", name="4K", exact=True).click()
    expect(button).to_be_disabled()  # follows the parameters, before any click
    expect(reason).to_have_text("Needs 24.00 credits; you have 20.00")
    page.click("#param-resolution button")
    page.get_by_role("option", name="1K", exact=True).click()
    expect(button).to_be_enabled()
    expect(reason).to_have_count(0)
    expect(reason).to_have_count(0)
    user_id = db_count(live_app, "SELECT id FROM users WHERE email = ?", email)
    assert db_count(live_app, "SELECT count(*) FROM generation_tasks WHERE user_id = ?", user_id) == 0
