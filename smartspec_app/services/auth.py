"""Accounts and logins: argon2 password hashes, opaque session tokens stored as SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

from smartspec_app.models import User, UserSession, utcnow
from smartspec_app.services import admin_bootstrap
from smartspec_app.services.admin_bootstrap import AdminRule
from smartspec_app.services.errors import AuthenticationError, Conflict, NotFound, ValidationError
from smartspec_app.services.text_rules import problem

_hasher = PasswordHasher()
MIN_PASSWORD = 8
MAX_PASSWORD = 256
_USERNAME_RE = re.compile(r"^[a-z0-9_]{3,30}$")


@dataclass(frozen=True)
class Login:
    user: User
    token: str  # give this to the browser; it is never stored


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(f"Enter a valid e-mail address ({exc})", field="email") from exc


def _check_password(password: str) -> None:
    """Rules for a new password (a login compares whatever is typed)."""
    message = problem(password, "The password") or ("The password contains a carriage return (U+000D)" if "\r" in password else None)
    if message:  # \r too: a password is never normalised
        raise ValidationError(message, field="password")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Use a password of at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"Use a password of at most {MAX_PASSWORD} characters", field="password")


def _unique_username(session: Session, email: str) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", email.split("@")[0].lower())[:24].strip("_") or "user"
    if len(base) < 3:
        base = f"{base}_user"
    name = base
    while session.exec(select(User.id).where(User.username == name)).first() is not None:
        name = f"{base}_{secrets.token_hex(2)}"
    return name


def create_user(
    session: Session, email: str, password: str, username: str | None = None, *, admins: AdminRule = admin_bootstrap.FIRST_ACCOUNT
) -> User:
    """Create an account; `admins` says whether it becomes an admin (services/admin_bootstrap.py).

    The default lets the first account of an empty site claim the admin role, as tests and the CLI
    want; the sign-up page passes the rule from the settings and where the request came from."""
    email = normalize_email(email)
    _check_password(password)
    if username is not None:
        username = username.strip().lower()
        if not _USERNAME_RE.match(username):
            raise ValidationError("A username has 3–30 letters, digits or underscores", field="username")
        if session.exec(select(User.id).where(User.username == username)).first() is not None:
            raise Conflict("That username is taken", field="username")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict("An account with this e-mail already exists; log in instead", field="email")
    user = User(email=email, username=username or _unique_username(session, email), password_hash=_hasher.hash(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same e-mail
        session.rollback()
        raise Conflict("An account with this e-mail already exists; log in instead", field="email") from exc
    admin_bootstrap.apply_rule(session, user, admins)
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, email: str, password: str, *, days: int = 30, admin_emails: frozenset[str] = frozenset()) -> Login:
    """Check the password and open a session. The same message for unknown e-mail and wrong password.
    An account listed in `admin_emails` (ADMIN_EMAILS) becomes an admin as it signs in."""
    wrong = AuthenticationError("Wrong e-mail or password", field="password")
    try:
        email = normalize_email(email)
    except ValidationError:
        raise wrong from None
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.is_active:
        _hasher.hash(password)  # same cost either way: no account probing by timing
        raise wrong
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(user_id=user.id, token_hash=_hash_token(token), expires_at=now + timedelta(days=days)))
    user.last_login_at = now
    session.add(user)
    session.flush()
    if user.email in admin_emails:
        admin_bootstrap.apply_rule(session, user, AdminRule(emails=admin_emails, first_account=False))
    return Login(user=user, token=token)


def user_for_token(session: Session, token: str | None) -> User | None:
    """The signed-in user of a session token, or None when it is unknown or expired."""
    if not token:
        return None
    row = session.exec(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id).where(UserSession.token_hash == _hash_token(token))
    ).first()
    if row is None:
        return None
    user, user_session = row
    if user_session.expires_at < utcnow() or not user.is_active:
        return None
    return user


def require_user(session: Session, token: str | None) -> User:
    user = user_for_token(session, token)
    if user is None:
        raise AuthenticationError("Please log in first")
    return user


def logout(session: Session, token: str | None) -> None:
    if token:
        session.exec(delete(UserSession).where(UserSession.token_hash == _hash_token(token)))


def make_admin(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"No account with the e-mail {email}")
    admin_bootstrap.promote(session, user)
    return user
