"""/api/generation/sdk/{language}: the client SDK source for this site, as JSON or as a file download.

Anyone gets the version that reads the key from the environment. With include_api_key=true the
caller (Bearer auth) names one of their own, non-revoked tokens (token_id) to embed in the code.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from smartspec_app.api.deps import OptionalUser
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
    user: OptionalUser,
    include_api_key: bool = False,
    token_id: int | None = Query(None, ge=1),
    download: bool = False,
) -> Response:
    """SDK source for python, javascript (js), typescript (ts) or react: JSON {language, filename, code},
    or the file itself (Content-Disposition: attachment) with download=true."""
    spec = sdk_codegen.resolve_language(language)
    if include_api_key:
        if user is None:
            raise AuthenticationError("Send your API token (Authorization: Bearer <token>) to embed a token in the SDK")
        if token_id is None:
            raise ValidationError("Choose the token to embed: token_id=<id> (see /account)", field="token_id")
    elif token_id is not None:
        raise ValidationError("token_id is only used with include_api_key=true", field="token_id")
    base_url = public_base_url(request)

    def _render() -> sdk_codegen.GeneratedSdk:
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
