"""The README's two-click flow, done in GraphiQL by a person, with the internet cut off.

Given the service on a real uvicorn, the demo partner of the session's seed and a
browser whose every request to a host other than 127.0.0.1 is aborted, when a
person follows README "The two-click flow in GraphiQL" (paste ``SignIn`` with the
partner JWT in the Variables tab, copy ``accessToken`` from the response pane into
the Headers tab, run ``Catalogue`` with ``{"first": 20}``, copy a ``nextSlots`` id,
run ``BookSlot`` with it and an idempotency key, run ``MyBookings``), then the booking
is listed as CONFIRMED at the slot's start, and no script error or off-host request
happened. The booking is cancelled through the API at the end, so the seeded
psychologist's slot is free again for the other tests.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.settings import Settings
from app.demo.identity import demo_partner_token
from tests.browser import offline_page
from tests.factories import next_phone
from tests.helpers import gql, op

pytestmark = pytest.mark.browser

SCREENSHOT = Path(tempfile.gettempdir()) / "two-click.png"

# CodeMirror renders only the visible lines: read the editors' values, not the DOM text.
RESPONSE_VALUE = (
    "() => { const cm = document.querySelector('.graphiql-response .CodeMirror');"
    " return cm ? cm.CodeMirror.getValue() : ''; }"
)
TOOL_EDITOR = ".graphiql-editor-tool .CodeMirror-lines >> visible=true"


async def _open_graphiql(page: Any, live_server: str) -> None:
    await page.goto(f"{live_server}/graphql", wait_until="load")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)


async def _replace(page: Any, selector: str, text: str) -> None:
    """Replace an editor's text the way a person does: click, select all, paste."""
    await page.click(selector)
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def _set_query(page: Any, text: str) -> None:
    await _replace(page, ".graphiql-query-editor .CodeMirror-lines", text)


async def _set_tool(page: Any, tab: str, text: str) -> None:
    """Open the Variables or Headers tab below the query editor and fill it."""
    await page.get_by_role("button", name=tab, exact=True).click()
    await _replace(page, TOOL_EDITOR, text)


def _is_run() -> Any:
    """The POST of an operation run (not GraphiQL's introspection)."""

    def predicate(response: Any) -> bool:
        request = response.request
        if request.method != "POST" or not response.url.endswith("/graphql"):
            return False
        return "IntrospectionQuery" not in (request.post_data or "")

    return predicate


async def _shown(page: Any, expected: dict[str, Any]) -> dict[str, Any]:
    """The response pane's JSON once it equals ``expected`` (what the server sent)."""
    text = ""
    for _ in range(100):
        text = await page.evaluate(RESPONSE_VALUE)
        try:
            shown: dict[str, Any] = json.loads(text)
        except ValueError:
            shown = {}
        if shown == expected:
            return shown
        await page.wait_for_timeout(100)
    raise AssertionError(f"the response pane shows {text[:2000]!r}, not {expected}")


async def _run(page: Any, name: str, attempts: int = 10) -> dict[str, Any]:
    """Press run; return the result as shown in the response pane.

    GraphiQL re-reads the operation name after a short debounce: a run before that
    sends the previous name and the server answers "Unknown operation" without
    executing anything, so that (and only that) is retried.
    """
    sent: dict[str, Any] = {}
    for _ in range(attempts):
        await page.wait_for_timeout(300)
        async with page.expect_response(_is_run(), timeout=20_000) as info:
            await page.click(".graphiql-execute-button")
        response = await info.value
        sent = await response.json()
        if "Unknown operation" in json.dumps(sent):
            continue
        # The pane shows what came back (the person reads and copies from it).
        shown = await _shown(page, sent)
        assert not shown.get("errors"), shown
        return shown
    raise AssertionError(f"{name} never ran: {sent}")


async def test_two_click_flow_from_the_readme_in_graphiql(
    browser: Any, live_server: str, client: httpx.AsyncClient, settings: Settings
) -> None:
    partner_jwt = await demo_partner_token(settings, next_phone())
    access_token = ""
    booking_id = ""
    try:
        async with offline_page(browser, viewport={"width": 1400, "height": 1000}) as (
            page,
            problems,
        ):
            await _open_graphiql(page, live_server)

            # 2. SignIn with the partner JWT; the access token goes into the Headers tab.
            await _set_query(page, op("SignIn"))
            await _set_tool(page, "Variables", json.dumps({"token": partner_jwt}))
            signed = (await _run(page, "SignIn"))["data"]["signInWithPartner"]
            assert signed["errors"] == [], signed
            access_token = signed["session"]["accessToken"]
            assert access_token
            await _set_tool(
                page, "Headers", json.dumps({"Authorization": f"Bearer {access_token}"})
            )

            # 3. Catalogue with {"first": 20}: every card carries nextSlots; copy one id.
            await _set_query(page, op("Catalogue"))
            await _set_tool(page, "Variables", json.dumps({"first": 20}))
            catalogue = (await _run(page, "Catalogue"))["data"]["psychologists"]
            cards = [edge["node"] for edge in catalogue["edges"]]
            assert len(cards) == 20
            assert all("nextSlots" in card for card in cards)
            slot = next(s for card in cards for s in card["nextSlots"])

            # 4. BookSlot with that id and an idempotency key: a CONFIRMED booking.
            key = f"readme-{uuid.uuid4().hex}"
            await _set_query(page, op("BookSlot"))
            await _set_tool(
                page, "Variables", json.dumps({"slotId": slot["id"], "idempotencyKey": key})
            )
            booked = (await _run(page, "BookSlot"))["data"]["bookSlot"]
            assert booked["errors"] == [], booked
            booking = booked["booking"]
            booking_id = booking["id"]
            assert booking["status"] == "CONFIRMED"
            assert booking["startsAt"] == slot["startsAt"]

            # Running it again with the same key returns the same booking.
            again = (await _run(page, "BookSlot"))["data"]["bookSlot"]
            assert again["booking"]["id"] == booking_id

            # 5. MyBookings with {"first": 10}: the booking, with its video call.
            await _set_query(page, op("MyBookings"))
            await _set_tool(page, "Variables", json.dumps({"first": 10}))
            mine = (await _run(page, "MyBookings"))["data"]["viewer"]["bookings"]
            listed = [edge["node"] for edge in mine["edges"]]
            assert [b["id"] for b in listed] == [booking_id]
            assert listed[0]["status"] == "CONFIRMED"
            assert listed[0]["startsAt"] == slot["startsAt"]
            assert listed[0]["videoCall"]["availableFrom"]

            await page.screenshot(path=SCREENSHOT, full_page=True)
            problems.console_errors.clear()  # a premature run logs a 400
            problems.assert_clean()
    finally:
        if booking_id:
            cancelled = await gql(
                client, op("CancelBooking"), {"id": booking_id, "reason": "test"}, access_token
            )
            assert cancelled["cancelBooking"]["errors"] == [], cancelled
