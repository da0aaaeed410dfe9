"""The HTTP side of bench/soak.py, as a Locust file: anonymous readers, API users and admins.

`bench/soak.py` runs it headless (`locust -f bench/soak_locust.py --headless ...`) against the app it
started, with SOAK_ACCOUNTS naming a JSON file of the seeded accounts and gallery, and SOAK_STATUS_FILE
where the count of answers by route and status is written at the end (Locust's own CSV has the
latencies). Each class has a fixed number of users (SOAK_READERS, SOAK_API_USERS, SOAK_ADMINS).

- Readers browse what a visitor or a crawler reads without JavaScript: /gallery and its sorts and
  pages, a category or tag, a search, an item page, the sitemap. Never /api/ (the anonymous limit is
  per address, and every simulated reader shares 127.0.0.1).
- API users do what an SDK client does: generate in the sandbox (images, sometimes speech), poll the
  task, now and then cancel one, share finished ones to the gallery, list and like gallery items,
  fetch the SDK code and the model list, read their credits.
- Admins read the moderation queue and approve or reject what waits, sometimes in bulk.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from collections import Counter

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["SOAK_ACCOUNTS"]).read()) if os.environ.get("SOAK_ACCOUNTS") else {}  # noqa: SIM115
TERMINAL = {"completed", "failed", "cancelled"}
THINK_API = float(os.environ.get("SOAK_API_THINK", "8"))  # mean seconds an API user waits between tasks
WORDS = ("harbour", "night", "lantern", "forest", "neon", "city", "dragon", "portrait", "river", "storm", "glass", "orbit", "postcard")
_statuses: Counter[tuple[str, str, int]] = Counter()
_status_lock = threading.Lock()
_api_tokens = itertools.cycle(ACCOUNTS.get("api", [{"token": ""}]))
_admin_tokens = itertools.cycle(ACCOUNTS.get("admins", [{"token": ""}]))


@events.request.add_listener
def _count_status(request_type: str, name: str, response, exception, **_kw) -> None:
    status = getattr(response, "status_code", 0) or 0
    with _status_lock:
        _statuses[(request_type, name, status)] += 1


@events.quitting.add_listener
def _write_statuses(environment, **_kw) -> None:
    path = os.environ.get("SOAK_STATUS_FILE")
    if not path:
        return
    with _status_lock:
        rows = [{"method": m, "name": n, "status": s, "count": c} for (m, n, s), c in sorted(_statuses.items())]
    with open(path, "w") as f:
        json.dump(rows, f)


def _expected(response, *ok: int) -> None:
    """A status the scenario expects counts as a success in Locust's table (a 409 for a task shared twice)."""
    if response.status_code in ok:
        response.success()
    else:
        response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


class Reader(HttpUser):
    fixed_count = int(os.environ.get("SOAK_READERS", "200"))
    wait_time = between(2, 8)

    @task(4)
    def gallery(self) -> None:
        sort = random.choice(("", "?sort=trending", "?sort=newest", "?sort=likes", "?page=2", "?page=3"))
        self.client.get(f"/gallery{sort}", name="/gallery")

    @task(2)
    def item(self) -> None:
        self.client.get(f"/gallery/{random.choice(ACCOUNTS['slugs'])}", name="/gallery/{slug}")

    @task(1)
    def category_or_tag(self) -> None:
        if random.random() < 0.5:
            self.client.get(f"/gallery/category/{random.choice(ACCOUNTS['categories'])}", name="/gallery/category/{category}")
        else:
            self.client.get(f"/gallery/tag/{random.choice(ACCOUNTS['tags'])}", name="/gallery/tag/{tag}")

    @task(1)
    def search(self) -> None:
        self.client.get(f"/gallery?q={random.choice(WORDS)}", name="/gallery?q=")

    @task(1)
    def sitemap(self) -> None:
        self.client.get("/gallery/sitemap.xml", name="/gallery/sitemap.xml")


class ApiUser(HttpUser):
    fixed_count = int(os.environ.get("SOAK_API_USERS", "50"))
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {next(_api_tokens)['token']}"
        self.finished: list[str] = []
        self.next_task_at = time.monotonic() + random.uniform(0, THINK_API)
        self.active = ""
        self.poll_at = 0.0

    @task
    def step(self) -> None:
        """One request a turn: poll the task under way, or start the next, or do something else meanwhile."""
        now = time.monotonic()
        if self.active:
            if now >= self.poll_at:
                self.poll()
            else:
                self.other()
        elif now >= self.next_task_at:
            self.generate()
        else:
            self.other()

    def generate(self) -> None:
        if random.random() < 0.85:
            body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": f"A {' '.join(random.sample(WORDS, 3))} at dusk"}
            body["parameters"] = {"output_format": "jpg"}
        else:
            body = {
                "task_type": "speech",
                "model_id": "elevenlabs/text-to-speech-turbo-2-5",
                "prompt": f"The {random.choice(WORDS)} is quiet tonight.",
            }
        with self.client.post("/api/generation/generate", json=body, name="/api/generation/generate", catch_response=True) as r:
            _expected(r, 202)
            if r.status_code == 202:
                self.active, self.poll_at = r.json()["id"], time.monotonic() + 1.0
                if random.random() < 0.05:  # now and then a user changes their mind
                    with self.client.post(
                        f"/api/generation/tasks/{self.active}/cancel", name="/api/generation/tasks/{id}/cancel", catch_response=True
                    ) as c:
                        _expected(c, 200, 409)  # 409: it had already ended

    def poll(self) -> None:
        with self.client.get(f"/api/generation/tasks/{self.active}", name="/api/generation/tasks/{id}", catch_response=True) as r:
            _expected(r, 200)
            if r.status_code == 200 and r.json()["status"] in TERMINAL:
                if r.json()["status"] == "completed":
                    self.finished.append(self.active)
                self.active = ""
                self.next_task_at = time.monotonic() + random.uniform(0.5, 1.5) * THINK_API
            else:
                self.poll_at = time.monotonic() + 1.0

    def other(self) -> None:
        choice = random.random()
        if choice < 0.15 and self.finished:
            self.share(self.finished.pop())
        elif choice < 0.45:
            self.like()
        elif choice < 0.6:
            language = random.choice(("python", "javascript", "typescript", "react"))
            self.client.get(f"/api/generation/sdk/{language}", name="/api/generation/sdk/{language}")
        elif choice < 0.75:
            self.client.get("/api/generation/models", name="/api/generation/models")
        elif choice < 0.9:
            self.client.get("/api/credits", name="/api/credits")
        else:
            self.client.get("/api/generation/tasks?page_size=20", name="/api/generation/tasks")

    def share(self, task_id: str) -> None:
        body = {"task_id": task_id, "title": f"Soak {random.choice(WORDS)} {task_id[:6]}", "category": "general", "tags": ["soak"]}
        with self.client.post("/api/gallery", json=body, name="/api/gallery (share)", catch_response=True) as r:
            _expected(r, 201, 409)

    def like(self) -> None:
        with self.client.get(f"/api/gallery?page={random.randint(1, 5)}", name="/api/gallery", catch_response=True) as r:
            _expected(r, 200)
            items = r.json().get("items", []) if r.status_code == 200 else []
        if items:
            item_id = random.choice(items)["id"]
            self.client.post(f"/api/gallery/item/{item_id}/like", name="/api/gallery/item/{id}/like")


class Admin(HttpUser):
    fixed_count = int(os.environ.get("SOAK_ADMINS", "2"))
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {next(_admin_tokens)['token']}"

    @task
    def moderate(self) -> None:
        with self.client.get("/api/admin/gallery/queue?page_size=20", name="/api/admin/gallery/queue", catch_response=True) as r:
            _expected(r, 200)
            items = r.json().get("items", []) if r.status_code == 200 else []
        if not items:
            self.client.get("/api/admin/gallery/analytics", name="/api/admin/gallery/analytics")
            return
        ids = [entry["id"] for entry in items]
        if len(ids) > 3 and random.random() < 0.5:
            with self.client.post(
                "/api/admin/gallery/bulk",
                json={"action": "approve", "item_ids": ids[:10]},
                name="/api/admin/gallery/bulk",
                catch_response=True,
            ) as b:
                _expected(b, 200)
            return
        item_id = random.choice(ids)
        if random.random() < 0.8:
            path, body, name = f"/api/admin/gallery/items/{item_id}/approve", None, "/api/admin/gallery/items/{id}/approve"
        else:
            path, body, name = f"/api/admin/gallery/items/{item_id}/reject", {"reason": "Soak test"}, "/api/admin/gallery/items/{id}/reject"
        with self.client.post(path, json=body, name=name, catch_response=True) as a:
            _expected(a, 200, 409)  # 409: the other admin took it first
