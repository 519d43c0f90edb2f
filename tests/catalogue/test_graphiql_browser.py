"""GraphiQL in headless Chromium with the internet cut off.

Given the service on a real uvicorn and a browser whose every request to a host
other than 127.0.0.1 is aborted, when a developer opens /graphql and presses the
run button on the preloaded Catalogue query (or a typed one), then the result shows
in the response pane, and no script error, CSP violation or off-host request
happened. A subscription run from GraphiQL with the Authorization header receives
a message sent through the API (graphql-transport-ws, GraphiQL's bundled client).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from app.core.settings import Settings
from models.catalogue import Psychologist
from models.enums import VettingStatus
from tests.browser import offline_page
from tests.chat.support import client_with_conversation, send_ok

pytestmark = pytest.mark.browser

# CodeMirror renders only the visible lines: read the editors' values, not the DOM text.
RESPONSE_VALUE = (
    "() => { const cm = document.querySelector('.graphiql-response .CodeMirror');"
    " return cm ? cm.CodeMirror.getValue() : ''; }"
)


async def _open_graphiql(page: Any, live_server: str) -> None:
    await page.goto(f"{live_server}/graphql", wait_until="load")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
    # The schema arrived (introspection over POST): the docs explorer has it.
    await page.wait_for_function(
        "() => document.querySelector('.graphiql-query-editor') !== null", timeout=20_000
    )


async def _type_query(page: Any, text: str) -> None:
    """Replace the query editor's text the way a user does (select all, type)."""
    await page.click(".graphiql-query-editor .CodeMirror-lines")
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def test_graphiql_runs_the_preloaded_catalogue_query_offline(
    browser: Any, live_server: str
) -> None:
    first = (
        await Psychologist.filter(vetting_status=VettingStatus.APPROVED)
        .order_by("-sort_rating", "id")
        .first()
    )
    assert first is not None
    async with offline_page(browser) as (page, problems):
        await _open_graphiql(page, live_server)
        editor = await page.evaluate(
            "() => document.querySelector('.graphiql-query-editor .CodeMirror')"
            ".CodeMirror.getValue()"
        )
        assert "query Catalogue" in editor
        assert "Authorization" in editor  # how to sign in

        await page.click(".graphiql-execute-button")

        await page.wait_for_function(
            f"(name) => ({RESPONSE_VALUE})().includes(name)", arg=first.full_name, timeout=20_000
        )
        text = await page.evaluate(RESPONSE_VALUE)
        assert '"totalCount"' in text
        assert '"errors"' not in text
        problems.assert_clean()
        assert not [e for e in problems.console_errors if "Content Security Policy" in e]


async def test_graphiql_runs_a_typed_query(browser: Any, live_server: str) -> None:
    async with offline_page(browser) as (page, problems):
        await _open_graphiql(page, live_server)
        await _type_query(page, "query Methods { methods { name } }")
        # GraphiQL re-reads the operation name after a short debounce; a run before
        # that sends the old name ("Unknown operation"), so retry a few times.
        await _run_until(page, "Гештальт-терапия")
        problems.console_errors.clear()  # a premature run logs a 400
        problems.assert_clean()


async def _run_until(page: Any, expected: str, attempts: int = 10) -> None:
    for _ in range(attempts):
        await page.wait_for_timeout(300)
        await page.click(".graphiql-execute-button")
        try:
            await page.wait_for_function(
                f"(s) => ({RESPONSE_VALUE})().includes(s)", arg=expected, timeout=3_000
            )
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(await page.evaluate(RESPONSE_VALUE))


async def test_graphiql_subscriptions_work_over_graphql_transport_ws(
    browser: Any, live_server: str, client: httpx.AsyncClient, settings: Settings
) -> None:
    """Given a signed-in client's conversation, when GraphiQL subscribes to
    messageAdded with the Authorization header and a message is sent through the
    API, then the message shows in the response pane."""
    person, conversation = await client_with_conversation(client, settings)
    subscription = (
        f'subscription Live {{ messageAdded(conversationId: "{conversation["id"]}") '
        "{ node { text } } }"
    )
    async with offline_page(browser) as (page, problems):
        await _open_graphiql(page, live_server)
        await page.get_by_role("button", name="Headers").click()
        await page.click(".graphiql-editor-tool .CodeMirror-lines >> visible=true")
        await page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {person.token}"}))
        await _type_query(page, subscription)
        await page.wait_for_timeout(600)  # GraphiQL re-reads the operation after a debounce
        await page.click(".graphiql-execute-button")

        text = f"Привет из GraphiQL {uuid.uuid4().hex[:6]}"
        for _ in range(20):  # the socket needs a moment: send until one arrives
            await send_ok(client, person.token, conversation["id"], text)
            try:
                await page.wait_for_function(
                    f"(s) => ({RESPONSE_VALUE})().includes(s)", arg=text, timeout=1_000
                )
                break
            except PlaywrightTimeout:
                continue
        else:
            raise AssertionError(await page.evaluate(RESPONSE_VALUE))
        problems.assert_clean()


# The Variables / Headers editor on show below the query editor.
TOOL_VALUE = (
    "() => { const cm = document.querySelector("
    "'.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');"
    " return cm ? cm.CodeMirror.getValue() : null; }"
)
TAB_TITLES = (
    "() => Array.from(document.querySelectorAll('.graphiql-tab .graphiql-tab-button'))"
    ".map(b => b.textContent.trim())"
)


async def _headers(page: Any) -> dict[str, Any]:
    await page.get_by_role("button", name="Headers", exact=True).click()
    text = await page.evaluate(TOOL_VALUE)
    assert text is not None
    shown: dict[str, Any] = json.loads(text or "{}")
    return shown


async def _tab(page: Any, title: str) -> None:
    await page.locator(".graphiql-tab .graphiql-tab-button", has_text=title).first.click()
    await page.wait_for_function(
        "(t) => document.querySelector('.graphiql-tab-active .graphiql-tab-button')"
        ".textContent.trim() === t",
        arg=title,
    )


async def test_graphiql_opens_with_the_contract_tabs(browser: Any, live_server: str) -> None:
    """Given a first visit, the tabs are the contract operations, Catalogue first, and a
    tab brings its example variables."""
    async with offline_page(browser, viewport={"width": 1600, "height": 900}) as (page, problems):
        await _open_graphiql(page, live_server)
        titles = await page.evaluate(TAB_TITLES)
        assert titles[0] == "Catalogue"
        assert {"SignIn", "BookSlot", "MyBookings", "CareChat", "StaffSignIn", "CareQueue"} <= set(
            titles
        )
        await page.get_by_role("button", name="Variables", exact=True).click()
        assert json.loads(await page.evaluate(TOOL_VALUE)) == {"first": 20}
        await _tab(page, "MyBookings")
        assert json.loads(await page.evaluate(TOOL_VALUE)) == {"first": 10}
        problems.assert_clean()


async def test_the_demo_sign_in_fills_every_tab_and_viewer_answers(
    browser: Any, live_server: str
) -> None:
    """When the developer presses "Войти как демо-клиент", the Authorization header of
    every tab holds a working token: viewer answers as the client, in any tab."""
    async with offline_page(browser, viewport={"width": 1600, "height": 900}) as (page, problems):
        await _open_graphiql(page, live_server)
        await page.get_by_role("button", name="Headers", exact=True).click()
        await page.get_by_role("button", name="Войти как демо-клиент").click()
        await page.wait_for_function(
            f"() => ({TOOL_VALUE})() !== null && ({TOOL_VALUE})().includes('Bearer ')",
            timeout=20_000,
        )
        token = (await _headers(page))["Authorization"]
        assert token.startswith("Bearer ")
        pressed = page.get_by_role("button", name="Войти как демо-клиент")
        assert await pressed.get_attribute("aria-pressed") == "true"

        await _tab(page, "MyBookings")
        assert (await _headers(page))["Authorization"] == token
        await _type_query(page, "query Me { viewer { role displayName } }")
        await _run_until(page, '"CLIENT"')

        # The care agent's button replaces it (staff operations need staff).
        await page.get_by_role("button", name="Headers", exact=True).click()
        await page.get_by_role("button", name="Войти как демо-куратор").click()
        await page.wait_for_function(
            f"(old) => {{ const v = ({TOOL_VALUE})(); return v && v.includes('Bearer ')"
            " && !v.includes(old); }",
            arg=token,
            timeout=20_000,
        )
        await _tab(page, "CareQueue")
        await _run_until(page, '"careQueue"')
        problems.console_errors.clear()  # a premature run logs a 400
        problems.assert_clean()


async def test_headers_survive_a_reload(browser: Any, live_server: str) -> None:
    async with offline_page(browser) as (page, problems):
        await _open_graphiql(page, live_server)
        await page.get_by_role("button", name="Headers", exact=True).click()
        await page.click(".graphiql-editor-tool .CodeMirror-lines >> visible=true")
        await page.keyboard.insert_text('{"X-Kept": "across reloads"}')
        # GraphiQL stores the editors' contents after a short debounce.
        await page.wait_for_function(
            "() => (localStorage.getItem('graphiql:headers') || '').includes('X-Kept')"
        )
        await page.reload(wait_until="load")
        await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
        assert await _headers(page) == {"X-Kept": "across reloads"}
        problems.assert_clean()
