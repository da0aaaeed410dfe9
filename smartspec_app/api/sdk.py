"""/api/generation/sdk/{language}: the client SDK source for this site, as JSON or as a file download.

Anyone gets the version that reads the key from the environment. With include_api_key=true the
code carries a token of the caller's (Bearer auth): the API token the request was made with, or,
with token_id, another of their own non-revoked tokens. A browser session token is never embedded
(it is not an API token), so a session caller must name one with token_id.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from smartspec_app.api.deps import OptionalCaller
from smartspec_app.api.schemas import error_responses
from smartspec_app.services import keys, sdk_codegen
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import AuthenticationError, ValidationError
from smartspec_app.settings import get_settings

router = APIRouter(prefix="/api/generation", tags=["sdk"])


def public_base_url(request: Request) -> str:
    """PUBLIC_BASE_URL, or the URL this request came to."""
    return (get_settings().public_base_url or str(request.base_url)).rstrip("/")


@router.get("/sdk/{language}", responses=error_responses(401, 404, 422))
async def get_sdk(
    language: str,
    request: Request,
    caller: OptionalCaller,
    include_api_key: bool = False,
    token_id: int | None = Query(None, ge=1, description="Embed this one of your API tokens instead of the one you call with."),
    download: bool = False,
) -> Response:
    """SDK source for python, javascript (js), typescript (ts) or react: JSON {language, filename, code},
    or the file itself (Content-Disposition: attachment) with download=true.

    include_api_key=true embeds your API token: the one in the Authorization header, or the one
    named by token_id. Called with a browser session token, token_id is required."""
    spec = sdk_codegen.resolve_language(language)
    embedded: str | None = None
    if include_api_key:
        if caller is None:
            raise AuthenticationError("Send your API token (Authorization: Bearer <token>) to embed a token in the SDK")
        if token_id is None and caller.api_token is None:
            raise ValidationError(
                "You are signed in with a browser session, which cannot go into code: choose the API token to embed "
                "with token_id=<id> (see /account)",
                field="token_id",
            )
        embedded = caller.api_token if token_id is None else None
    elif token_id is not None:
        raise ValidationError("token_id is only used with include_api_key=true", field="token_id")
    base_url = public_base_url(request)
    user = caller.user if caller is not None else None

    def _render() -> sdk_codegen.GeneratedSdk:
        if embedded is not None:
            return sdk_codegen.render_sdk(spec.key, base_url=base_url, api_key=embedded)
        with session_scope() as session:
            return sdk_codegen.sdk_for_user(
                session, keys.get_key_manager(), user, spec.key, base_url=base_url, token_id=token_id if include_api_key else None
            )

    sdk = await run_in_threadpool(_render)
    headers = {"Cache-Control": "no-store" if sdk.includes_api_key else "no-cache", "Vary": "Authorization"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{sdk.filename}"'
        return Response(sdk.code, media_type=f"{sdk.media_type}; charset=utf-8", headers=headers)
    return JSONResponse(sdk.as_dict(), headers=headers)
