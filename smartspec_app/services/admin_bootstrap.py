"""Who becomes an admin without another admin's say: the ADMIN_EMAILS list, and the first account.

For a deployment the operator names the admins: ADMIN_EMAILS (an account with a listed e-mail is
an admin as soon as it signs up or signs in) or `python -m smartspec_app.cli make-admin EMAIL`.
With ADMIN_EMAILS empty, the one-command local run keeps its convenience: while the site has no
admin, an account signed up *from this machine* (a loopback peer, no proxy headers; see
services/client_address.py) becomes one. A stranger reaching a freshly exposed deployment from
elsewhere never does (ADMIN_FIRST_LOCAL_ACCOUNT=false switches even the local rule off).

The first-admin role is claimed by INSERTing the single `admin_bootstrap` row (primary key 1) in
the sign-up's transaction: of two sign-ups at the same moment one INSERT wins and the other fails
on the key, on SQLite and PostgreSQL alike, so there is exactly one admin. Every other way an
admin is made writes the row too, so the claim is closed for good once the site has an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smartspec_app.models import AdminBootstrap, User
from smartspec_app.settings import Settings


@dataclass(frozen=True)
class AdminRule:
    """How a sign-up may become admin: by a listed e-mail, or by claiming the first-admin role."""

    emails: frozenset[str] = frozenset()  # normalised, lower-case
    first_account: bool = True  # may claim the role while the site has no admin


FIRST_ACCOUNT = AdminRule()  # the first account of an empty site claims the role (tests, local tools)


def rule_from_settings(settings: Settings, *, local_request: bool) -> AdminRule:
    """ADMIN_EMAILS when set; otherwise the first account, only for a request from this machine."""
    emails = settings.admin_email_set
    return AdminRule(emails=emails, first_account=not emails and settings.admin_first_local_account and local_request)


def _claim(session: Session, user: User) -> bool:
    """INSERT the bootstrap row for `user`; False when it is already there (someone got there first)."""
    try:
        with session.begin_nested():
            session.add(AdminBootstrap(id=1, user_id=user.id))
    except IntegrityError:
        return False
    return True


def note_admin(session: Session, user: User) -> None:
    """Record that the site has an admin (closes the first-account claim); `user` must be flushed."""
    if session.get(AdminBootstrap, 1) is None:
        _claim(session, user)


def promote(session: Session, user: User) -> None:
    """Make `user` an admin (the CLI, ADMIN_EMAILS) and close the first-account claim."""
    user.is_admin = True
    session.add(user)
    session.flush()
    note_admin(session, user)


def apply_rule(session: Session, user: User, rule: AdminRule) -> None:
    """Give a just-created (flushed) or signing-in account the admin role when the rule says so."""
    if user.is_admin:
        return
    if user.email in rule.emails:
        promote(session, user)
    elif rule.first_account and session.get(AdminBootstrap, 1) is None:
        has_admin = session.exec(select(User.id).where(User.is_admin, User.id != user.id).limit(1)).first() is not None
        if _claim(session, user) and not has_admin:  # an admin made without the row (older data) still counts
            user.is_admin = True
            session.add(user)
            session.flush()
