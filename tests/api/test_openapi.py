"""The OpenAPI document and docs page, the one error shape for every failure, and a schemathesis
run over /api/openapi.json asserting that no generated request gets a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlmodel import Session
from starlette.responses import PlainTextResponse

from smartspec_app.api import build_api
from smartspec_app.api import errors as api_errors
from smartspec_app.services import keys, worker
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import reload_settings
from tests.api.test_generation_api import TASK_FIELDS
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.servers import serve


@pytest.fixture
def roomy_limits(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_USER", "100000/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "100000/minute")
    reload_settings()


@pytest.fixture
def client(roomy_limits) -> Iterator[httpx.Client]:
    with serve(build_api()) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def test_the_document_is_typed_and_describes_bearer_auth(client: httpx.Client) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    paths = doc["paths"]
    assert not [p for p in paths if p.startswith("/sandbox") or "/callback/" in p]
    for path, operations in paths.items():  # the token is the security scheme, not a header parameter
        for operation in operations.values():
            assert all(p["name"].lower() != "authorization" for p in operation.get("parameters", [])), path

    generate = paths["/api/generation/generate"]["post"]
    assert generate["security"] == [{"bearerAuth": []}]
    assert generate["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/GenerateRequest")
    assert generate["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/TaskOut")
    assert generate["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "429" in generate["responses"]
    assert set(doc["components"]["schemas"]["TaskOut"]["properties"]) == TASK_FIELDS
    assert doc["components"]["schemas"]["GenerateRequest"]["properties"]["task_type"]["enum"] == ["image", "video", "speech"]
    assert paths["/api/generation/models"]["get"]["security"] == [{"bearerAuth": []}, {}]  # a token is optional there
    assert paths["/api/generation/tasks"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/api/gallery"]["get"]
    assert paths["/api/gallery"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/GalleryItemOut")

    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text and "/api/openapi.json" in docs.text
    assert client.get("/api/docs/oauth2-redirect").status_code == 200


def test_unknown_routes_and_methods_answer_in_the_error_shape(client: httpx.Client) -> None:
    missing = client.get("/api/no/such/route")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "No API route at /api/no/such/route", "details": {}}}

    wrong = client.delete("/api/generation/models")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET"
    assert wrong.json()["error"]["code"] == "method_not_allowed" and wrong.json()["error"]["details"]["allowed"] == ["GET"]
    assert client.put("/api/gallery").json()["error"]["details"]["allowed"] == ["GET", "POST"]

    bad_query = client.get("/api/gallery", params={"sort_by": "random"})
    assert bad_query.status_code == 422 and bad_query.json()["error"]["details"]["field"] == "sort_by"
    assert client.get("/api/gallery/item/nope").json()["error"]["code"] == "not_found"
    nul = client.get("/api/gallery/item/a%00b")  # PostgreSQL cannot store NUL: a 422 there, never a 500
    assert nul.status_code in (404, 422) and nul.json()["error"]["code"] in ("not_found", "validation_error")


def test_unknown_api_routes_are_json_even_with_reflex_mounted_behind(roomy_limits) -> None:
    """rx.App(api_transformer=api) mounts the Reflex app at "" after every API route: what no
    API route takes must still be a JSON error under /api/, and Reflex's everywhere else."""
    api = build_api()

    async def reflex_app(scope, receive, send) -> None:
        await PlainTextResponse("the web app")(scope, receive, send)

    api.mount("", reflex_app)
    with serve(api) as url, httpx.Client(base_url=url) as c:
        assert c.get("/api/nope").json()["error"]["code"] == "not_found"
        assert c.post("/api/generation/models").status_code == 405
        assert c.get("/generate").text == "the web app"
        assert c.get("/api/generation/models").status_code == 200


def test_remembered_routes_stay_right_when_the_memory_fills(roomy_limits, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback remembers routed (method, path) pairs; with room for one, it forgets and
    re-learns on every request, and each answer is still the router's."""
    monkeypatch.setattr(api_errors, "KNOWN_ROUTED_MAX", 1)
    with serve(build_api()) as url, httpx.Client(base_url=url) as c:
        for _ in range(2):
            assert c.get("/api/generation/models").status_code == 200
            assert c.get("/api/gallery").status_code == 200
            assert c.delete("/api/generation/models").headers["Allow"] == "GET"
            assert c.get("/api/gallery/nope/deeper").status_code == 404


def test_an_unexpected_error_is_a_json_500(roomy_limits) -> None:
    api = build_api()

    @api.get("/api/test-boom")
    def boom() -> dict:
        raise RuntimeError("kaboom")

    with serve(api) as url:
        response = httpx.get(f"{url}/api/test-boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error" and "kaboom" not in response.text


def test_schemathesis_finds_no_server_errors(roomy_limits, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated requests (bounded: a few dozen per operation) against every documented route,
    signed in, with real data in the database; the sandbox and callback routes are not in the document."""
    monkeypatch.setattr(worker, "enqueue", lambda _task_id: None)
    user = make_user(session)
    shared_item(session, get_storage(), user, "Fuzzed")
    completed_task(session, get_storage(), user)
    _row, token = keys.create_api_token(session, keys.get_key_manager(), user, "fuzz")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", build_api())
    schema = schema.exclude(path_regex=r"^/(sandbox|api/generation/callback)")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9

    checked = 0
    for operation in operations:
        strategy = operation.as_strategy()

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=strategy)
        def check(case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        check()
        checked += 1
    assert checked == len(operations)


def test_schemathesis_stateful_workflows_find_no_server_errors(roomy_limits, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sequences that follow the document's links (generate → read the task; share → read, like,
    unlike, report the item) with generated data in between: no 5xx, answers match their schemas."""
    monkeypatch.setattr(worker, "enqueue", lambda _task_id: None)
    user = make_user(session)
    for n in range(3):
        completed_task(session, get_storage(), user, prompt=f"Stateful {n}")
    _row, token = keys.create_api_token(session, keys.get_key_manager(), user, "stateful")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", build_api())
    schema = schema.exclude(path_regex=r"^/(sandbox|api/generation/callback|api/admin)")
    schema = schema.exclude(method="DELETE")  # deletions end the workflows the links describe; covered elsewhere
    links = [
        name
        for path in schema.raw_schema["paths"].values()
        for operation in path.values()
        for response in operation.get("responses", {}).values()
        for name in response.get("links", {})
    ]
    assert {"GetTask", "GetItem", "LikeItem"} <= set(links)

    seen: set[tuple[str, int]] = set()

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case) -> dict:
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            seen.add((case.operation.label, response.status_code))
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    Workflow.run(
        settings=settings(max_examples=60, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    )
    # random ids are 404s: a 200 here means a link carried a real id from one answer to the next call
    assert ("GET /api/generation/tasks/{task_id}", 200) in seen, sorted(seen)
