from __future__ import annotations

from sqlmodel import Session, select

from smartspec_app import cli
from smartspec_app.models import User


def test_make_admin_promotes_an_existing_account(app_env, engine, capsys) -> None:
    assert cli.main(["create-user", "first@example.com", "a long password"]) == 0
    assert cli.main(["create-user", "second@example.com", "a long password"]) == 0
    with Session(engine) as s:
        assert s.exec(select(User.is_admin).where(User.email == "second@example.com")).one() is False
    assert cli.main(["make-admin", "Second@Example.com"]) == 0
    with Session(engine) as s:
        assert s.exec(select(User.is_admin).where(User.email == "second@example.com")).one() is True
    assert "second@example.com is now an admin" in capsys.readouterr().out


def test_unknown_account_is_a_clear_error(app_env, engine, capsys) -> None:
    assert cli.main(["make-admin", "nobody@example.com"]) == 1
    assert "No account with the e-mail nobody@example.com" in capsys.readouterr().err
