"""The OpenAPI document, the offline docs page and the health probes."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

PROBLEM_STATUSES = {"400", "401", "404", "422"}


def test_openapi_declares_every_problem_as_problem_json(db: None) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 12
    for operation in operations:
        responses = operation["responses"]
        assert set(responses) >= PROBLEM_STATUSES, operation["operationId"]
        for status in PROBLEM_STATUSES:
            assert list(responses[status]["content"]) == ["application/problem+json"]
    assert "BearerToken" in spec["components"]["securitySchemes"]
    comment = spec["paths"]["/api/v1/tickets/{number}/comments"]["post"]["responses"]
    assert {"201", "403", "409", "412"} <= set(comment)
    upload = spec["paths"]["/api/v1/tickets/{number}/attachments"]["post"]["responses"]
    assert {"413", "415"} <= set(upload)


def test_docs_page_loads_its_assets_from_our_static_files(db: None) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert csp == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for source in sources:
        assert source.startswith(settings.STATIC_URL), source
        assert finders.find(source.removeprefix(settings.STATIC_URL)), source
    # No inline script: the swagger settings travel as a JSON data block, which CSP allows.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, body in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, body[:80]


def test_healthz_answers_without_touching_anything(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_checks_the_database(db: None, client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_probes_refuse_writes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_openapi_has_no_duplicate_keys(db: None) -> None:
    """Swagger UI parses the spec with a YAML parser that refuses duplicate keys."""
    import json

    def refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(Client().get("/api/v1/openapi.json").content, object_pairs_hook=refuse_duplicates)
