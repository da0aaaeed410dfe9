"""services/admin_bootstrap.py: ADMIN_EMAILS, the first-account rule only for this machine, and exactly
one first admin however many sign-ups race for it (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from smartspec_app.models import AdminBootstrap, User
from smartspec_app.services import admin_bootstrap, auth
from smartspec_app.services.admin_bootstrap import AdminRule
from smartspec_app.services.db import session_scope
from smartspec_app.settings import Settings

PASSWORD = "a long password"
NOBODY = AdminRule(first_account=False)


def admins(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(s.exec(select(User.email).where(User.is_admin)).all())


def test_concurrent_sign_ups_make_exactly_one_admin(engine: Engine) -> None:
    count = 6
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def sign_up(n: int) -> None:
        try:
            start.wait()
            with session_scope(engine) as s:
                auth.create_user(s, f"racer{n}@example.com", PASSWORD)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    winners = admins(engine)
    assert len(winners) == 1, winners
    with Session(engine) as s:
        claim = s.get(AdminBootstrap, 1)
        winner = s.exec(select(User).where(User.email == winners[0])).one()
    assert claim is not None and claim.user_id == winner.id


def test_without_the_first_account_rule_nobody_becomes_admin(session: Session, engine: Engine) -> None:
    auth.create_user(session, "stranger@example.com", PASSWORD, admins=NOBODY)
    session.commit()
    assert admins(engine) == []
    auth.create_user(session, "owner@example.com", PASSWORD)  # later, from this machine: still no admin yet, so it may claim
    session.commit()
    assert admins(engine) == ["owner@example.com"]


def test_listed_e_mails_become_admins_at_sign_up_and_close_the_first_account_claim(session: Session, engine: Engine) -> None:
    listed = AdminRule(emails=frozenset({"boss@example.com"}), first_account=False)
    auth.create_user(session, "someone@example.com", PASSWORD, admins=listed)
    auth.create_user(session, "Boss@Example.com", PASSWORD, admins=listed)
    session.commit()
    auth.create_user(session, "local@example.com", PASSWORD)  # the first-account rule: the site has an admin already
    session.commit()
    assert admins(engine) == ["boss@example.com"]


def test_a_listed_existing_account_becomes_admin_when_it_signs_in(session: Session, engine: Engine) -> None:
    auth.create_user(session, "early@example.com", PASSWORD, admins=NOBODY)
    session.commit()
    auth.login(session, "early@example.com", PASSWORD)  # not listed: nothing changes
    session.commit()
    assert admins(engine) == []
    result = auth.login(session, "early@example.com", PASSWORD, admin_emails=frozenset({"early@example.com"}))
    session.commit()
    assert result.user.is_admin and admins(engine) == ["early@example.com"]


def test_an_admin_made_without_the_claim_row_still_counts(session: Session, engine: Engine) -> None:
    old = auth.create_user(session, "old@example.com", PASSWORD, admins=NOBODY)
    old.is_admin = True  # as data from before the admin_bootstrap table
    session.commit()
    auth.create_user(session, "new@example.com", PASSWORD)
    session.commit()
    assert admins(engine) == ["old@example.com"]


def test_make_admin_closes_the_first_account_claim(session: Session, engine: Engine) -> None:
    auth.create_user(session, "remote@example.com", PASSWORD, admins=NOBODY)
    session.commit()
    auth.make_admin(session, "remote@example.com")
    session.commit()
    auth.create_user(session, "local@example.com", PASSWORD)
    session.commit()
    assert admins(engine) == ["remote@example.com"]


@pytest.mark.parametrize(
    ("env", "local", "expected"),
    [
        ({}, True, AdminRule(frozenset(), True)),
        ({}, False, AdminRule(frozenset(), False)),
        ({"ADMIN_FIRST_LOCAL_ACCOUNT": "false"}, True, AdminRule(frozenset(), False)),
        ({"ADMIN_EMAILS": " A@Example.com, ,b@example.com"}, True, AdminRule(frozenset({"a@example.com", "b@example.com"}), False)),
    ],
)
def test_the_rule_from_the_settings(monkeypatch: pytest.MonkeyPatch, env: dict, local: bool, expected: AdminRule) -> None:
    for name in ("ADMIN_EMAILS", "ADMIN_FIRST_LOCAL_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert admin_bootstrap.rule_from_settings(Settings(), local_request=local) == expected
