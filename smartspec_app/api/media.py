"""/media/{key}: local media, served only to those allowed to see it.

- A signed URL (`?expires=...&signature=...`, made by `LocalStorage.signed_url`) is served until it
  expires, to whoever holds it: the generation page, the REST API and the SDKs hand these out for
  a user's own outputs, and gallery pages for unlisted and private items (services/gallery.py says
  who may see an item; a URL is only made for a viewer who may). `Cache-Control: private` with the
  seconds it has left, so no shared cache keeps it, and `Referrer-Policy: no-referrer`.
- Without a signature only the objects of listed gallery items (public, approved, not NSFW) are
  served, checked in the database on every request, so an item made private, rejected or deleted
  stops loading at once. These are cacheable by anyone for a year (`immutable`): every key names
  one object that is never rewritten (keys carry fresh ids), like the R2 objects' own headers.
- Anything else is a 404, whether or not the file exists; a wrong or expired signature is a 403.

Range requests, HEAD, ETag / Last-Modified and 304 answers come from Starlette's StaticFiles.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from smartspec_app.services import gallery
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.media_signing import MediaSigner
from smartspec_app.services.storage import CACHE_CONTROL, _check_key

SERVED = (200, 206, 304)


def public_key_check(key: str) -> bool:
    with session_scope() as session:
        return gallery.media_key_is_public(session, key)


class MediaFiles(StaticFiles):
    def __init__(self, directory: Path, *, signer: Callable[[], MediaSigner], is_public: Callable[[str], bool] = public_key_check) -> None:
        super().__init__(directory=directory, check_dir=False)
        self._signer = signer
        self._is_public = is_public

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            key = _check_key(path.replace(os.sep, "/"))
        except ValidationError:
            return PlainTextResponse("Not Found", status_code=404)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        expires, signature = query.get("expires", [""])[0], query.get("signature", [""])[0]
        signed = bool(expires or signature)
        if signed:
            signer = self._signer()
            if not signer.verify(key, expires, signature):
                return PlainTextResponse("This media link is not valid or has expired", status_code=403)
            cache_control = f"private, max-age={signer.seconds_left(expires)}"
        elif await anyio.to_thread.run_sync(self._is_public, key):
            cache_control = CACHE_CONTROL
        else:
            return PlainTextResponse("Not Found", status_code=404)
        response = await super().get_response(path, scope)
        if response.status_code in SERVED:
            response.headers["Cache-Control"] = cache_control
        if signed:
            response.headers["Referrer-Policy"] = "no-referrer"  # a media file opened on its own links nowhere with its URL
        return response
