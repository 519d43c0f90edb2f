"""Headless Chromium for browser tests (Debian ``chromium`` driven by Playwright).

``tests/conftest.py`` re-exports the ``browser`` fixture for every test; a browser
test module only needs::

    from tests.browser import offline_page

    pytestmark = pytest.mark.browser

The ``browser`` fixture is session-scoped and skips (with the reason) when
``/usr/bin/chromium`` is absent, or fails when ``PSYLINE_REQUIRE_BROWSER`` is set
(``.ci/run`` sets it and installs chromium). Playwright's own browser
downloads are never used (no ``playwright install``): we launch the system binary.

``offline_page(browser)`` opens a fresh context and page whose every request to a
host other than 127.0.0.1 is aborted (and recorded), and which records script
errors, failed requests and console errors, so a test can prove a page works
without internet.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1"})


def chromium_available() -> bool:
    return CHROMIUM.exists()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not chromium_available():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (CI does)"
        if os.environ.get("PSYLINE_REQUIRE_BROWSER"):
            pytest.fail(reason + "; PSYLINE_REQUIRE_BROWSER is set, so browser tests must run")
        pytest.skip(reason)
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("the playwright package is missing: pip install -e '.[dev]'")
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            await instance.close()


@dataclass
class PageProblems:
    """What went wrong on a page: blocked off-host requests, script errors, failures."""

    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests left 127.0.0.1: {self.blocked}"
        assert not self.errors, f"script errors: {self.errors}"
        assert not self.failed, f"failed requests: {self.failed}"


@asynccontextmanager
async def offline_page(
    browser: Any, **context_options: Any
) -> AsyncIterator[tuple[Any, PageProblems]]:
    """A fresh context + page with every non-127.0.0.1 request aborted and recorded."""
    context = await browser.new_context(**context_options)
    problems = PageProblems()

    async def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            await route.continue_()
        else:
            problems.blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", guard)
    page = await context.new_page()
    page.on("pageerror", lambda exc: problems.errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: problems.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on(
        "requestfailed",
        lambda req: (
            problems.failed.append(f"{req.url}: {req.failure}")
            if urlsplit(req.url).hostname in LOCAL_HOSTS
            else None
        ),
    )
    try:
        yield page, problems
    finally:
        await context.close()
