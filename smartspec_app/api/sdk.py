"""/api/generation/sdk/{language}: the client SDK source for this site, as JSON or as a file download.

Anyone gets the version that reads the key from the environment. With include_api_key=true the
code carries a token of the caller's (Bearer auth): the one `token_id` names (one of their own,
non-revoked), else the API token the request was made with. A browser session token is never
embedded (it is not an API token): a session caller must name one with token_id (422 otherwise).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from smartspec_app.api.deps import OptionalCaller
from smartspec_app.api.schemas import SdkOut, error_responses
from smartspec_app.services import keys, sdk_codegen
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import AuthenticationError, ValidationError
from smartspec_app.settings import get_settings

router = APIRouter(prefix="/api/generation", tags=["sdk"])
LanguageName = Literal[tuple((*sdk_codegen.LANGUAGES, *sdk_codegen.ALIASES))]  # type: ignore[valid-type]
DOWNLOAD_TYPES = sorted({spec.media_type for spec in sdk_codegen.LANGUAGES.values()})


def public_base_url(request: Request) -> str:
    """PUBLIC_BASE_URL, or the URL this request came to."""
    return (get_settings().public_base_url or str(request.base_url)).rstrip("/")


SDK_RESPONSES = {
    200: {
        "description": "The SDK as JSON, or with download=true the file itself (Content-Disposition: attachment).",
        "content": {"application/json": {}, **{media: {"schema": {"type": "string"}} for media in DOWNLOAD_TYPES}},
    },
    **error_responses(404, 409, 422),
}


@router.get("/sdk/{language}", response_model=SdkOut, responses=SDK_RESPONSES)
async def get_sdk(
    language: LanguageName,
    request: Request,
    caller: OptionalCaller,
    include_api_key: bool = Query(False, description="Embed one of your API tokens: `token_id`, else the one you call with."),
    token_id: int | None = Query(None, ge=1, le=2**31 - 1, description="The token to embed; read only with include_api_key=true."),
    download: bool = False,
) -> Response:
    """SDK source for python, javascript (js), typescript (ts) or react: JSON {language, filename, code},
    or the file itself (Content-Disposition: attachment) with download=true.

    include_api_key=true embeds your API token: the one named by token_id, else the one in the
    Authorization header. Signed in with a browser session (not an API token), token_id is required:
    422 without it. 404: the token is not one of yours; 409: it was revoked."""
    spec = sdk_codegen.resolve_language(language)
    if include_api_key and caller is None:
        raise AuthenticationError("Send your API token (Authorization: Bearer <token>) to embed a token in the SDK")
    if include_api_key and token_id is None and caller is not None and caller.api_token is None:
        raise ValidationError(
            "You are signed in with a browser session, which cannot go into code: choose the API token to embed "
            "with token_id=<id> (see /account)",
            field="token_id",
        )
    embedded = caller.api_token if include_api_key and token_id is None and caller is not None else None
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
