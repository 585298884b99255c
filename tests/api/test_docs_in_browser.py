"""The Swagger UI at /api/v1/docs renders in a real browser under our Content-Security-Policy,
with no request leaving the machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.e2e.conftest import CHROMIUM_ARGS as ARGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's Chromium is not installed"),
]


def test_swagger_ui_renders_every_operation_offline(live_server: Any, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    origin = urlsplit(live_server.url).netloc
    problems: list[str] = []
    foreign: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(f"{e.name}: {e.message}"))
            page.on(
                "request",
                lambda r: (
                    None
                    if urlsplit(r.url).netloc == origin or r.url.startswith("data:")
                    else foreign.append(r.url)
                ),
            )
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            summaries = page.locator(".opblock-summary-path").all_inner_texts()
            page.screenshot(path=str(tmp_path / "api-docs.png"))
        finally:
            browser.close()
    assert any("/api/v1/tickets" in text for text in summaries)
    assert not foreign, foreign
    assert not problems, problems
