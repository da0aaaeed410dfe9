"""The HTTP half of scripts/container-check.sh: drive the running compose set from outside.

    container_check_api.py generate BASE_URL TOKEN     a sandbox image through the REST API, waited for;
                                                       prints {"task_id", "output_url", "sha256"} as JSON
    container_check_api.py verify BASE_URL TOKEN TASK_ID SHA256
                                                       the task is still there, completed, and its media
                                                       has the same bytes (after the api restarted)

Standard library only: it runs on the host, with whatever python3 is there. Exits 1 with the reason
when anything is not as it should be.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

TASK_SECONDS = 180


class CheckFailed(Exception):
    pass


def _request(method: str, url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _json(method: str, url: str, token: str | None = None, body: dict | None = None, expect: int = 200) -> Any:
    status, _, raw = _request(method, url, token, body)
    if status != expect:
        raise CheckFailed(f"{method} {url}: HTTP {status}, expected {expect}: {raw[:500]!r}")
    return json.loads(raw)


def _media(url: str) -> bytes:
    status, headers, raw = _request("GET", url)
    content_type = headers.get("content-type", headers.get("Content-Type", ""))
    if status != 200 or not content_type.startswith("image/") or not raw:
        raise CheckFailed(f"GET {url}: HTTP {status}, {content_type!r}, {len(raw)} bytes: expected an image")
    return raw


def check_pages(base: str) -> None:
    """The built frontend is served next to the API: the home page and a gallery page come back as HTML."""
    for path in ("/", "/gallery"):
        status, headers, raw = _request("GET", base + path)
        content_type = headers.get("content-type", headers.get("Content-Type", ""))
        if status != 200 or "text/html" not in content_type or b"<title>" not in raw:
            raise CheckFailed(f"GET {path}: HTTP {status} {content_type!r}: expected the app's HTML page")


def generate(base: str, token: str) -> dict[str, str]:
    check_pages(base)
    models = _json("GET", f"{base}/api/generation/models", token)
    if models.get("provider") != "sandbox":
        raise CheckFailed(f"expected the sandbox provider (no kie.ai key), got {models.get('provider')!r}")
    body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "A lighthouse at dawn, container check", "parameters": {}}
    task = _json("POST", f"{base}/api/generation/generate", token, body, expect=202)
    deadline = time.monotonic() + TASK_SECONDS
    while task["status"] not in ("completed", "failed"):
        if time.monotonic() > deadline:
            raise CheckFailed(f"task {task['id']} still {task['status']} ({task['status_detail']}) after {TASK_SECONDS} s")
        time.sleep(0.5)
        task = _json("GET", f"{base}/api/generation/tasks/{task['id']}", token)
    if task["status"] != "completed":
        raise CheckFailed(f"task {task['id']} failed: {task['error_message']}")
    if not task["output_url"].startswith(base + "/media/"):
        raise CheckFailed(f"output URL {task['output_url']!r} is not this site's media")
    image = _media(task["output_url"])
    _media(task["thumbnail_url"])
    return {"task_id": task["id"], "output_url": task["output_url"], "sha256": hashlib.sha256(image).hexdigest()}


def verify(base: str, token: str, task_id: str, sha256: str) -> dict[str, str]:
    task = _json("GET", f"{base}/api/generation/tasks/{task_id}", token)
    if task["status"] != "completed":
        raise CheckFailed(f"after the restart task {task_id} is {task['status']}")
    listed = _json("GET", f"{base}/api/generation/tasks?page=1&page_size=10", token)
    if task_id not in [item["id"] for item in listed["items"]]:
        raise CheckFailed(f"after the restart task {task_id} is missing from the task list")
    if hashlib.sha256(_media(task["output_url"])).hexdigest() != sha256:
        raise CheckFailed("after the restart the media has other bytes")
    check_pages(base)
    return {"task_id": task_id, "status": task["status"], "output_url": task["output_url"]}


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["generate"] and len(argv) == 3:
            result = generate(argv[1].rstrip("/"), argv[2])
        elif argv[:1] == ["verify"] and len(argv) == 5:
            result = verify(argv[1].rstrip("/"), argv[2], argv[3], argv[4])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (CheckFailed, OSError) as exc:
        print(f"container check: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
