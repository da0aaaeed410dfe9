"""Request dependencies shared by the REST routers: who is calling.

A caller authenticates with `Authorization: Bearer <token>`, where the token is an API token
from /account (what the SDKs use) or a browser session token. A token that is sent but not
valid is a 401, never a silent fall-back to anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from smartspec_app.models import User
from smartspec_app.services import auth, keys
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import AuthenticationError, PermissionDenied


def bearer_token(authorization: str | None = Header(default=None)) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Send the token as 'Authorization: Bearer <token>'")
    return token


@dataclass(frozen=True)
class Caller:
    """Who is calling, and with what: `api_token` is the plain API token when that is what
    authenticated the request (None for a browser session token)."""

    user: User
    api_token: str | None = None


def caller_for_bearer(token: str) -> Caller:
    """The caller behind a session token or an API token; AuthenticationError otherwise."""
    with session_scope() as session:
        user = auth.user_for_token(session, token)
        if user is not None:
            return Caller(user)
        return Caller(keys.authenticate_api_token(session, token), api_token=token)


def user_for_bearer(token: str) -> User:
    """The user behind a session token or an API token; AuthenticationError otherwise."""
    return caller_for_bearer(token).user


def optional_caller(token: Annotated[str | None, Depends(bearer_token)]) -> Caller | None:
    return None if token is None else caller_for_bearer(token)


def optional_user(caller: Annotated[Caller | None, Depends(optional_caller)]) -> User | None:
    return None if caller is None else caller.user


def require_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise AuthenticationError("Missing API token: send the header 'Authorization: Bearer <token>'")
    return user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.is_admin:
        raise PermissionDenied("This route is for admins")
    return user


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(require_user)]
AdminUser = Annotated[User, Depends(require_admin)]
