"""Tests of accounts and logins (services/auth.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from smartspec_app.models import User, UserSession, utcnow
from smartspec_app.services import auth
from smartspec_app.services.errors import AuthenticationError, Conflict, NotFound, ValidationError

PASSWORD = "correct horse battery"


def _user_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def _session_rows(session: Session) -> list[UserSession]:
    return list(session.exec(select(UserSession)).all())


def _fresh(engine: Engine) -> Session:
    """A second session, so reads come from the database and not from the identity map."""
    return Session(engine, expire_on_commit=False)


# ---------------------------------------------------------------- create_user


def test_first_user_is_admin_second_is_not(session: Session) -> None:
    first = auth.create_user(session, "first@example.com", PASSWORD)
    session.commit()
    second = auth.create_user(session, "second@example.com", PASSWORD)
    session.commit()
    assert first.is_admin is True
    assert second.is_admin is False
    assert first.id is not None and second.id is not None and first.id != second.id


def test_admin_flag_is_stored(session: Session, engine: Engine) -> None:
    auth.create_user(session, "first@example.com", PASSWORD)
    auth.create_user(session, "second@example.com", PASSWORD)
    session.commit()
    with _fresh(engine) as other:
        flags = {u.email: u.is_admin for u in other.exec(select(User)).all()}
    assert flags == {"first@example.com": True, "second@example.com": False}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Alice@Example.COM ", "alice@example.com"),
        ("BOB@EXAMPLE.ORG", "bob@example.org"),
        ("carol@example.net", "carol@example.net"),
    ],
)
def test_email_is_normalised_and_lower_cased(session: Session, engine: Engine, raw: str, stored: str) -> None:
    user = auth.create_user(session, raw, PASSWORD)
    session.commit()
    assert user.email == stored
    with _fresh(engine) as other:
        row = other.exec(select(User).where(User.id == user.id)).one()
    assert row.email == stored


@pytest.mark.parametrize("bad", ["", "   ", "not-an-email", "a@", "@example.com", "a b@example.com", "a@@example.com"])
def test_invalid_email_is_a_validation_error_on_email(session: Session, bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        auth.create_user(session, bad, PASSWORD)
    assert info.value.field == "email"
    assert _user_count(session) == 0


@pytest.mark.parametrize(
    "password",
    [
        "",
        "x" * (auth.MIN_PASSWORD - 1),
        "x" * (auth.MAX_PASSWORD + 1),
        "x" * 10_000,
    ],
    ids=["empty", "one-short", "one-long", "very-long"],
)
def test_bad_password_length_is_a_validation_error_on_password(session: Session, password: str) -> None:
    with pytest.raises(ValidationError) as info:
        auth.create_user(session, "dave@example.com", password)
    assert info.value.field == "password"
    assert _user_count(session) == 0


@pytest.mark.parametrize("length", [auth.MIN_PASSWORD, auth.MAX_PASSWORD])
def test_password_length_bounds_are_accepted(session: Session, length: int) -> None:
    user = auth.create_user(session, "edge@example.com", "p" * length)
    session.commit()
    assert user.id is not None
    assert auth.login(session, "edge@example.com", "p" * length).user.id == user.id


@pytest.mark.parametrize("again", ["dup@example.com", "DUP@example.com", "  Dup@Example.Com"])
def test_duplicate_email_is_a_conflict_and_adds_no_row(session: Session, engine: Engine, again: str) -> None:
    auth.create_user(session, "dup@example.com", PASSWORD)
    session.commit()
    with pytest.raises(Conflict) as info:
        auth.create_user(session, again, "another password")
    assert info.value.field == "email"
    session.rollback()
    with _fresh(engine) as other:
        assert _user_count(other) == 1
        assert other.exec(select(User.email)).all() == ["dup@example.com"]


def test_generated_usernames_are_unique(session: Session) -> None:
    emails = ["sam@example.com", "sam@example.org", "Sam@example.net", "s.a.m@example.com", "sam@example.io"]
    users = [auth.create_user(session, e, PASSWORD) for e in emails]
    session.commit()
    names = [u.username for u in users]
    assert len(set(names)) == len(names)
    for name in names:
        assert auth._USERNAME_RE.match(name), name
    # the first one takes the plain local part; later ones add a suffix
    assert names[0] == "sam"
    assert all(n.startswith("sam") for n in [names[1], names[2], names[4]])


def test_generated_username_for_short_local_part_is_valid(session: Session) -> None:
    user = auth.create_user(session, "a@example.com", PASSWORD)
    session.commit()
    assert auth._USERNAME_RE.match(user.username), user.username


@pytest.mark.parametrize(
    "email",
    ["élodie@example.com", "日本@example.com", "___@example.com", "x.y-z+tag@example.com", "a" * 60 + "@example.com"],
)
def test_generated_username_is_always_valid(session: Session, email: str) -> None:
    user = auth.create_user(session, email, PASSWORD)
    session.commit()
    assert auth._USERNAME_RE.match(user.username), user.username


def test_explicit_username_taken_is_a_conflict(session: Session) -> None:
    auth.create_user(session, "one@example.com", PASSWORD, username="Taken_Name")
    session.commit()
    with pytest.raises(Conflict) as info:
        auth.create_user(session, "two@example.com", PASSWORD, username="taken_name")
    assert info.value.field == "username"


def test_invalid_explicit_username_is_a_validation_error(session: Session) -> None:
    with pytest.raises(ValidationError) as info:
        auth.create_user(session, "one@example.com", PASSWORD, username="no spaces!")
    assert info.value.field == "username"


def test_password_is_stored_as_an_argon2_hash(session: Session, engine: Engine) -> None:
    user = auth.create_user(session, "hash@example.com", PASSWORD)
    session.commit()
    with _fresh(engine) as other:
        stored = other.exec(select(User.password_hash).where(User.id == user.id)).one()
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored
    assert stored != PASSWORD
    # two accounts with the same password get different (salted) hashes
    second = auth.create_user(session, "hash2@example.com", PASSWORD)
    session.commit()
    assert second.password_hash != stored


# ---------------------------------------------------------------- login


def test_login_with_right_password_returns_a_token(session: Session, engine: Engine) -> None:
    user = auth.create_user(session, "log@example.com", PASSWORD)
    session.commit()
    result = auth.login(session, "LOG@example.com", PASSWORD)
    session.commit()
    assert result.user.id == user.id
    assert isinstance(result.token, str) and len(result.token) >= 32
    with _fresh(engine) as other:
        rows = _session_rows(other)
        assert len(rows) == 1
        assert rows[0].user_id == user.id
        assert other.exec(select(User.last_login_at).where(User.id == user.id)).one() is not None


def test_each_login_gets_its_own_token(session: Session) -> None:
    auth.create_user(session, "two@example.com", PASSWORD)
    session.commit()
    a = auth.login(session, "two@example.com", PASSWORD)
    b = auth.login(session, "two@example.com", PASSWORD)
    session.commit()
    assert a.token != b.token
    assert len(_session_rows(session)) == 2


def test_token_is_stored_only_as_its_sha256(session: Session, engine: Engine) -> None:
    auth.create_user(session, "tok@example.com", PASSWORD)
    session.commit()
    token = auth.login(session, "tok@example.com", PASSWORD).token
    session.commit()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM user_sessions")).mappings().all()
    assert len(rows) == 1
    for value in rows[0].values():
        assert token not in str(value)
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_wrong_password_and_unknown_email_give_the_same_error(session: Session) -> None:
    auth.create_user(session, "known@example.com", PASSWORD)
    session.commit()
    with pytest.raises(AuthenticationError) as wrong_password:
        auth.login(session, "known@example.com", PASSWORD + "!")
    with pytest.raises(AuthenticationError) as unknown_email:
        auth.login(session, "stranger@example.com", PASSWORD)
    with pytest.raises(AuthenticationError) as invalid_email:
        auth.login(session, "not an email", PASSWORD)
    assert str(wrong_password.value) == str(unknown_email.value) == str(invalid_email.value)
    assert wrong_password.value.field == unknown_email.value.field
    assert "known@example.com" not in str(wrong_password.value)
    assert _session_rows(session) == []


def test_inactive_user_cannot_log_in(session: Session) -> None:
    user = auth.create_user(session, "gone@example.com", PASSWORD)
    user.is_active = False
    session.add(user)
    session.commit()
    with pytest.raises(AuthenticationError):
        auth.login(session, "gone@example.com", PASSWORD)


# ---------------------------------------------------------------- user_for_token


def test_user_for_token_finds_the_user(session: Session, engine: Engine) -> None:
    user = auth.create_user(session, "who@example.com", PASSWORD)
    session.commit()
    token = auth.login(session, "who@example.com", PASSWORD).token
    session.commit()
    with _fresh(engine) as other:
        found = auth.user_for_token(other, token)
        assert found is not None and found.id == user.id
        assert auth.require_user(other, token).id == user.id


@pytest.mark.parametrize("token", [None, "", "unknown-token", "x" * 43])
def test_user_for_token_is_none_for_unknown_or_empty(session: Session, token: str | None) -> None:
    auth.create_user(session, "who@example.com", PASSWORD)
    auth.login(session, "who@example.com", PASSWORD)
    session.commit()
    assert auth.user_for_token(session, token) is None
    with pytest.raises(AuthenticationError):
        auth.require_user(session, token)


def test_user_for_token_is_none_when_expired(session: Session, engine: Engine) -> None:
    auth.create_user(session, "old@example.com", PASSWORD)
    session.commit()
    token = auth.login(session, "old@example.com", PASSWORD).token
    session.commit()
    with _fresh(engine) as other:
        assert auth.user_for_token(other, token) is not None
    with engine.begin() as conn:
        changed = conn.execute(
            update(UserSession)
            .where(UserSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(expires_at=utcnow() - timedelta(days=2))
        )
        assert changed.rowcount == 1
    with _fresh(engine) as other:
        assert auth.user_for_token(other, token) is None


def test_user_for_token_is_none_for_a_deactivated_user(session: Session, engine: Engine) -> None:
    user = auth.create_user(session, "off@example.com", PASSWORD)
    session.commit()
    token = auth.login(session, "off@example.com", PASSWORD).token
    user.is_active = False
    session.add(user)
    session.commit()
    with _fresh(engine) as other:
        assert auth.user_for_token(other, token) is None


# ---------------------------------------------------------------- logout, make_admin


def test_logout_deletes_only_that_session(session: Session, engine: Engine) -> None:
    auth.create_user(session, "out@example.com", PASSWORD)
    session.commit()
    first = auth.login(session, "out@example.com", PASSWORD).token
    second = auth.login(session, "out@example.com", PASSWORD).token
    session.commit()
    auth.logout(session, first)
    session.commit()
    with _fresh(engine) as other:
        rows = _session_rows(other)
        assert [r.token_hash for r in rows] == [hashlib.sha256(second.encode()).hexdigest()]
        assert auth.user_for_token(other, first) is None
        assert auth.user_for_token(other, second) is not None


@pytest.mark.parametrize("token", [None, ""])
def test_logout_without_token_deletes_nothing(session: Session, token: str | None) -> None:
    auth.create_user(session, "out@example.com", PASSWORD)
    auth.login(session, "out@example.com", PASSWORD)
    session.commit()
    auth.logout(session, token)
    session.commit()
    assert len(_session_rows(session)) == 1


def test_make_admin(session: Session, engine: Engine) -> None:
    auth.create_user(session, "boss@example.com", PASSWORD)
    staff = auth.create_user(session, "staff@example.com", PASSWORD)
    session.commit()
    assert staff.is_admin is False
    promoted = auth.make_admin(session, "  STAFF@example.com")
    session.commit()
    assert promoted.id == staff.id
    with _fresh(engine) as other:
        assert other.exec(select(User.is_admin).where(User.id == staff.id)).one() is True


def test_make_admin_unknown_email_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        auth.make_admin(session, "nobody@example.com")
