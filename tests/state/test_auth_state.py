"""AuthState called the way the websocket calls it: sign-ins throttled per account and address (the right
password refused while locked), sign-ups per address, the first-admin rule by where the request comes
from, the admin flag set at once, and ?next= kept on this site."""

from __future__ import annotations

from pathlib import Path

import pytest
from reflex import constants
from reflex.istate.data import HeaderData, ReflexURL, RouterData, SessionData
from reflex.state import State
from sqlmodel import Session, select

from smartspec_app.models import User
from smartspec_app.services import auth
from smartspec_app.settings import reload_settings
from smartspec_app.state.auth import AuthState

PASSWORD = "a long password"
STRANGER = "203.0.113.50"


def auth_state(peer: str = "127.0.0.1", headers: dict | None = None, query: str = "") -> AuthState:
    """A fresh AuthState whose websocket came from `peer` with `headers`, on /login?`query`."""
    root = State(_reflex_internal_init=True)
    state = root.get_substate(AuthState.get_full_name().split(".")[1:])
    raw = {"asgi-scope-client": peer, **(headers or {})}
    state.router = RouterData(
        session=SessionData(client_ip=peer),
        headers=HeaderData.from_router_data({constants.RouteVar.HEADERS: raw}),
        url=ReflexURL(f"http://127.0.0.1:3000/login{'?' + query if query else ''}"),
    )
    return state


def redirect_path(spec) -> str:
    return dict((name._js_expr, value._var_value) for name, value in spec.args)["path"]


def form(email: str, password: str = PASSWORD) -> dict:
    return {"email": email, "password": password, "confirm": password}


@pytest.fixture
def account(app_env: Path, session: Session) -> User:
    user = auth.create_user(session, "owner@example.com", PASSWORD)
    session.commit()
    return user


def test_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(account: User) -> None:
    state = auth_state(STRANGER)
    messages = []
    for _ in range(25):
        AuthState.login.fn(state, form("owner@example.com", "nope"))
        messages.append(state.auth_error)
    assert messages[:5] == ["Wrong e-mail or password"] * 5
    assert set(messages[5:]) == {"Too many attempts; try again in 15 s"}
    assert AuthState.login.fn(state, form("owner@example.com")) is None  # the right password, while locked
    assert state.auth_error.startswith("Too many attempts; try again in ") and state.session_token == ""
    # from another address the account is locked just the same
    elsewhere = auth_state("198.51.100.20")
    AuthState.login.fn(elsewhere, form("OWNER@example.com"))
    assert elsewhere.auth_error.startswith("Too many attempts") and elsewhere.session_token == ""


def test_an_unknown_account_gets_the_same_answers(account: User) -> None:
    answers = {}
    for email in ("owner@example.com", "nobody@example.com"):
        state = auth_state(f"198.51.100.{len(answers) + 1}")
        answers[email] = []
        for _ in range(7):
            AuthState.login.fn(state, form(email, "nope"))
            answers[email].append((state.auth_error, state.auth_field))
    assert answers["owner@example.com"] == answers["nobody@example.com"]


def test_one_address_trying_many_accounts_is_locked(account: User) -> None:
    state = auth_state(STRANGER)
    for n in range(20):
        AuthState.login.fn(state, form(f"guess{n}@example.com", "nope"))
        assert state.auth_error == "Wrong e-mail or password"
    AuthState.login.fn(state, form("guess20@example.com", "nope"))
    assert state.auth_error == "Too many attempts; try again in 15 s"
    AuthState.login.fn(state, form("owner@example.com"))
    assert state.auth_error.startswith("Too many attempts") and state.session_token == ""
    ok = auth_state("198.51.100.9")
    assert redirect_path(AuthState.login.fn(ok, form("owner@example.com"))) == "/generate" and ok.session_token


def test_the_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(account: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    reload_settings()
    for n in range(21):  # through the proxy, from one client that spoofs a new address each time
        AuthState.login.fn(auth_state("10.0.0.2", {"x-forwarded-for": f"6.6.6.{n}, {STRANGER}"}), form(f"g{n}@example.com", "nope"))
    blocked = auth_state("10.0.0.2", {"x-forwarded-for": STRANGER})
    AuthState.login.fn(blocked, form("owner@example.com"))
    assert blocked.auth_error.startswith("Too many attempts")
    other = auth_state("10.0.0.2", {"x-forwarded-for": "198.51.100.77"})
    assert redirect_path(AuthState.login.fn(other, form("owner@example.com"))) == "/generate"


def test_a_success_resets_the_accounts_count(account: User) -> None:
    state = auth_state(STRANGER)
    for _ in range(4):
        AuthState.login.fn(state, form("owner@example.com", "nope"))
    AuthState.login.fn(state, form("owner@example.com"))
    assert state.session_token
    for _ in range(5):
        AuthState.login.fn(state, form("owner@example.com", "nope"))
    assert state.auth_error == "Wrong e-mail or password"


def test_sign_ups_are_limited_per_address(app_env: Path, engine) -> None:
    for n in range(5):
        state = auth_state(STRANGER)
        AuthState.signup.fn(state, form(f"new{n}@example.com"))
        assert state.auth_error == "" and state.session_token
    state = auth_state(STRANGER)
    AuthState.signup.fn(state, form("new5@example.com"))
    assert state.auth_error.startswith("Too many attempts; try again in ") and state.session_token == ""
    with Session(engine) as s:
        assert s.exec(select(User.email).where(User.email == "new5@example.com")).first() is None
    AuthState.signup.fn(auth_state("198.51.100.3"), form("new6@example.com"))  # another address may


def test_a_stranger_signing_up_first_is_no_admin_the_local_operator_is_at_once(app_env: Path, engine) -> None:
    stranger = auth_state(STRANGER)
    AuthState.signup.fn(stranger, form("stranger@example.com"))
    assert stranger.session_token and stranger.is_admin is False
    proxied = auth_state("127.0.0.1", {"x-forwarded-for": STRANGER})  # a proxy on this host, not configured
    AuthState.signup.fn(proxied, form("proxied@example.com"))
    assert proxied.session_token and proxied.is_admin is False
    local = auth_state("127.0.0.1")
    AuthState.signup.fn(local, form("operator@example.com"))
    assert local.is_admin is True and local.signed_in  # the badge's var is set by the sign-up itself
    second = auth_state("127.0.0.1")
    AuthState.signup.fn(second, form("colleague@example.com"))
    assert second.is_admin is False
    with Session(engine) as s:
        assert s.exec(select(User.email).where(User.is_admin)).all() == ["operator@example.com"]


def test_admin_emails_decide_instead_of_the_first_account(app_env: Path, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_EMAILS", "boss@example.com")
    reload_settings()
    first = auth_state("127.0.0.1")
    AuthState.signup.fn(first, form("first@example.com"))
    assert first.session_token and first.is_admin is False
    boss = auth_state(STRANGER)
    AuthState.signup.fn(boss, form("Boss@Example.com"))
    assert boss.is_admin is True


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example/x", "/\t/evil.example"])
def test_next_never_leaves_the_site(account: User, target: str) -> None:
    from urllib.parse import quote

    state = auth_state(STRANGER, query=f"next={quote(target)}")
    assert redirect_path(AuthState.login.fn(state, form("owner@example.com"))) == "/generate"


def test_next_to_a_page_of_the_site_is_kept(account: User) -> None:
    state = auth_state(STRANGER, query="next=/gallery%3Fsort%3Dnew")
    assert redirect_path(AuthState.login.fn(state, form("owner@example.com"))) == "/gallery?sort=new"
