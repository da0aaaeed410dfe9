"""Request dependencies shared by the REST routers: who is calling.

For now a caller authenticates with the browser session token (`Authorization: Bearer <token>`);
API tokens will plug in here, so routers depend on `optional_user` / `require_user` only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from smartspec_app.models import User
from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import AuthenticationError


def bearer_token(authorization: str | None = Header(default=None)) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def optional_user(token: Annotated[str | None, Depends(bearer_token)]) -> User | None:
    if token is None:
        return None
    with session_scope() as session:
        return auth.user_for_token(session, token)


def require_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise AuthenticationError("Send a valid session token as Authorization: Bearer <token>")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(require_user)]
