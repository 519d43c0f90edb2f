# ruff: noqa: RUF001 - Russian text
"""The care console in headless Chromium, against a real uvicorn (``live_server``).

Given a care agent and a client with a conversation, when the agent signs in on
the page and the client writes through the API, then the message shows on the
page within a second, the agent's reply typed on the page reaches the client's
``messageAdded`` subscription. Also: after a dropped WebSocket the page resumes
with ``after`` and shows every message exactly once; a breached SLA shows red;
the access token is refreshed before it expires, and when the server ends the
subscriptions on expiry the page refreshes and resumes.

Every page is offline (``tests.browser.offline_page``): a request past 127.0.0.1,
a script error or a console error (CSP violations land there) fails the test.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from app.core.settings import Settings
from app.identity.staff import create_staff
from models.chat import Conversation
from models.enums import Role
from schema.relay import decode_id
from tests.browser import offline_page
from tests.factories import SignedIn, signed_in
from tests.helpers import gql, op

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/console.png"  # noqa: S108 - looked at by hand
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh page that cannot reach past 127.0.0.1 and records what went wrong."""
    async with offline_page(browser, viewport={"width": 1280, "height": 800}, locale="ru-RU") as (
        page,
        problems,
    ):
        page.problems = problems
        yield page


def assert_page_clean(page: Any) -> None:
    """No off-host request, script error, failed request or console error (CSP reports there)."""
    page.problems.assert_clean()
    assert not page.problems.console_errors, page.problems.console_errors


async def _agent(name: str) -> str:
    email = f"agent-{uuid.uuid4().hex[:10]}@care.test"
    await create_staff(email, Role.CARE_AGENT, PASSWORD, display_name=name)
    return email


async def client_with_conversation(
    http: httpx.AsyncClient, settings: Settings, name: str
) -> tuple[SignedIn, str]:
    person = await signed_in(settings, Role.CLIENT, display_name=name)
    data = await gql(http, op("CareChat"), {"last": 1}, token=person.token)
    return person, data["viewer"]["careConversation"]["id"]


async def send_ok(http: httpx.AsyncClient, token: str, conversation_id: str, text: str) -> None:
    variables = {
        "conversationId": conversation_id,
        "text": text,
        "clientMessageId": uuid.uuid4().hex,
    }
    data = await gql(http, op("SendMessage"), variables, token=token)
    assert data["sendMessage"]["errors"] == [], data


async def answer(http: httpx.AsyncClient, settings: Settings, conversation_id: str) -> None:
    """Leave no conversation waiting for the tests that come after."""
    helper = await signed_in(settings, Role.CARE_AGENT, display_name="Уборка")
    await send_ok(http, helper.token, conversation_id, "Ответили.")


async def next_message(ws: Any, op_id: str, wait: float = 5.0) -> dict[str, Any]:
    """The next ``next`` payload of one operation (pings answered)."""
    async with asyncio.timeout(wait):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("id") != op_id:
                continue
            assert message["type"] == "next", message
            assert not message["payload"].get("errors"), message
            data: dict[str, Any] = message["payload"]["data"]
            return data


async def _sign_in_on_page(page: Any, live_server: str, email: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{live_server}/console")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=10_000)
    await expect(page.locator("#queue")).to_have_attribute("data-loaded", "true", timeout=5_000)
    # The ack is in; give the server a moment to register the inbox subscription.
    await asyncio.sleep(0.3)


async def _last_cursor(http: httpx.AsyncClient, token: str) -> str:
    data = await gql(http, op("CareChat"), {"last": 1}, token=token)
    cursor: str = data["viewer"]["careConversation"]["messages"]["edges"][-1]["cursor"]
    return cursor


async def test_agent_answers_a_client_live_on_the_console(
    settings: Settings, live_server: str, page: Any
) -> None:
    from playwright.async_api import expect

    email = await _agent("Мария Заботина")
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        person, conversation_id = await client_with_conversation(http, settings, name="Ольга")

        # The agent signs in on the page.
        await _sign_in_on_page(page, live_server, email)

        # A client's message shows in the queue within a second (careInbox).
        first = f"Не работает звук <b>{uuid.uuid4().hex[:6]}</b>"
        started = time.monotonic()
        await send_ok(http, person.token, conversation_id, first)
        item = page.locator(f'[data-testid="queue-item"][data-id="{conversation_id}"]')
        await expect(item).to_contain_text(first, timeout=1_000)
        assert time.monotonic() - started < 1.0
        await expect(item.locator(".sla")).to_have_text(
            re.compile(r"^0[45]:\d\d$")
        )  # counting down

        # Opened, the conversation shows its history; new messages arrive live (messageAdded).
        await item.click()
        messages = page.locator("#message-list [data-testid=message]")
        await expect(messages.filter(has_text=first)).to_have_count(1, timeout=5_000)
        await expect(page.locator("#chat-title")).to_have_text("Ольга")
        await asyncio.sleep(0.3)  # the messageAdded subscription is registered
        second = f"И видео тоже {uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        await send_ok(http, person.token, conversation_id, second)
        await expect(messages.filter(has_text=second)).to_have_count(1, timeout=1_000)
        assert time.monotonic() - started < 1.0

        # The client listens from its last message on; the agent assigns and replies.
        after = await _last_cursor(http, person.token)
        ws_url = live_server.replace("http://", "ws://") + "/graphql"
        async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init = {"Authorization": f"Bearer {person.token}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            variables = {"conversationId": conversation_id, "after": after}
            payload = {"query": op("MessageAdded"), "variables": variables}
            await ws.send(json.dumps({"id": "m", "type": "subscribe", "payload": payload}))
            await page.click("#chat-assign")
            await expect(page.locator("#chat-assignee")).to_have_text("Ведёт: Мария Заботина")
            reply = f"Проверьте, пожалуйста, разрешение на микрофон {uuid.uuid4().hex[:6]}"
            await page.fill("#reply", reply)
            await page.screenshot(path=SCREENSHOT)  # queue, SLA countdown, chat, draft
            await page.press("#reply", "Enter")

            data = await next_message(ws, "m")
            edge = data["messageAdded"]
            assert edge["node"]["text"] == reply
            assert edge["node"]["author"] == {"role": "CARE_AGENT", "displayName": "Мария Заботина"}

        # The page shows the reply once, in the stream; the answered conversation leaves the queue.
        await expect(messages.filter(has_text=reply)).to_have_count(1)
        await expect(page.locator("#message-list .pending")).to_have_count(0, timeout=2_000)
        await expect(item).to_have_count(0, timeout=2_000)
        await expect(page.locator("#reply")).to_have_value("")
        # The text was shown as text, not markup.
        assert await page.locator("#message-list b").count() == 0

    assert_page_clean(page)


async def test_console_resumes_after_a_network_drop_without_gaps_or_duplicates(
    settings: Settings, live_server: str, page: Any
) -> None:
    """The WebSocket is cut while the client writes; the page reconnects with ``after``."""
    from playwright.async_api import expect

    blocked = asyncio.Event()
    sockets: list[Any] = []

    async def route(ws: Any) -> None:
        if blocked.is_set():
            await ws.close(code=1013, reason="network down")  # retryable for graphql-ws
            return
        server = ws.connect_to_server()
        sockets.append((ws, server))

    await page.route_web_socket("**/graphql", route)
    email = await _agent("Игорь Ночной")
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        person, conversation_id = await client_with_conversation(http, settings, name="Пётр")
        await _sign_in_on_page(page, live_server, email)
        before = f"До обрыва {uuid.uuid4().hex[:6]}"
        await send_ok(http, person.token, conversation_id, before)
        item = page.locator(f'[data-testid="queue-item"][data-id="{conversation_id}"]')
        await item.click()
        messages = page.locator("#message-list [data-testid=message]")
        await expect(messages.filter(has_text=before)).to_have_count(1, timeout=5_000)
        await asyncio.sleep(0.3)

        # The network drops: the socket dies and new ones fail for a while.
        blocked.set()
        for page_side, server_side in sockets:
            await server_side.close()
            await page_side.close(code=1001, reason="gone")
        await expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
        during = [f"Пока вас не было {i} {uuid.uuid4().hex[:6]}" for i in range(3)]
        for text in during:
            await send_ok(http, person.token, conversation_id, text)
        await asyncio.sleep(0.5)
        blocked.clear()

        # Back online: everything written meanwhile shows up, once each, in order.
        await expect(page.locator("#conn")).to_have_attribute(
            "data-state", "online", timeout=15_000
        )
        for text in during:
            await expect(messages.filter(has_text=text)).to_have_count(1, timeout=5_000)
        after_drop = f"После обрыва {uuid.uuid4().hex[:6]}"
        await send_ok(http, person.token, conversation_id, after_drop)
        await expect(messages.filter(has_text=after_drop)).to_have_count(1, timeout=2_000)
        ids = await messages.evaluate_all("nodes => nodes.map(n => n.dataset.id)")
        texts = await messages.evaluate_all("nodes => nodes.map(n => n.textContent)")
        assert len(ids) == len(set(ids))
        positions = [next(i for i, t in enumerate(texts) if text in t) for text in during]
        assert positions == sorted(positions)
        assert len(sockets) >= 2  # it did reconnect
        await answer(http, settings, conversation_id)
    assert_page_clean(page)


SESSION_JS = "() => JSON.parse(sessionStorage.getItem('psyline.console.session'))"


async def test_console_shows_breached_sla_and_refreshes_the_session_before_expiry(
    settings: Settings, live_server: str, page: Any
) -> None:
    """A breached SLA shows red; near expiry the page calls RefreshSession, reconnects
    with the new token and works on."""
    from playwright.async_api import expect

    email = await _agent("Вера Утренняя")
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        person, conversation_id = await client_with_conversation(http, settings, name="Лев")
        # Lev has waited 6.5 minutes already: his SLA badge is red.
        await send_ok(http, person.token, conversation_id, "Жду ответа")
        await Conversation.filter(id=decode_id(conversation_id, "CareConversation")).update(
            sla_due_at=datetime.now(UTC) - timedelta(seconds=90), sla_breach_notified=True
        )
        await _sign_in_on_page(page, live_server, email)
        item = page.locator(f'[data-testid="queue-item"][data-id="{conversation_id}"]')
        sla = item.locator(".sla")
        await expect(sla).to_have_attribute("data-sla", "breached")
        await expect(sla).to_have_text(re.compile(r"^просрочено 0[12]:\d\d$"))
        assert await sla.evaluate("n => getComputedStyle(n).backgroundColor") == "rgb(197, 48, 48)"
        old = await page.evaluate(SESSION_JS)

        # The stored access token now "expires" in 40 s: after a reload the page
        # refreshes it (rotating the refresh token) and reconnects.
        soon = (datetime.now(UTC) + timedelta(seconds=40)).isoformat()
        await page.evaluate(
            "(soon) => { const s = JSON.parse(sessionStorage.getItem('psyline.console.session'));"
            " s.accessTokenExpiresAt = soon;"
            " sessionStorage.setItem('psyline.console.session', JSON.stringify(s)); }",
            soon,
        )
        await page.reload()
        await page.wait_for_function(
            "(old) => JSON.parse(sessionStorage.getItem('psyline.console.session'))"
            ".accessToken !== old",
            arg=old["accessToken"],
            timeout=10_000,
        )
        new = await page.evaluate(SESSION_JS)
        assert new["refreshToken"] != old["refreshToken"]
        assert new["email"] == email
        await expect(page.locator("#conn")).to_have_attribute(
            "data-state", "online", timeout=10_000
        )
        await asyncio.sleep(0.3)

        # The new connection carries the inbox: a client's message still shows at once.
        text = f"После обновления токена {uuid.uuid4().hex[:6]}"
        await send_ok(http, person.token, conversation_id, text)
        await expect(item).to_contain_text(text, timeout=1_000)
        await answer(http, settings, conversation_id)
    assert_page_clean(page)


async def test_console_resumes_when_the_server_ends_subscriptions_on_token_expiry(
    settings: Settings, live_server: str, page: Any
) -> None:
    """The token dies while connected (the page thought it had an hour): the server ends
    both subscriptions with UNAUTHENTICATED; the page refreshes, reconnects, resumes."""
    from playwright.async_api import expect

    from app.identity.sessions import start_session
    from models.identity import User

    email = await _agent("Олег Вечерний")
    user = await User.get(email=email)
    issued = await start_session(settings.with_(access_token_ttl_seconds=3), user)
    session = {
        "accessToken": issued.access_token,
        "accessTokenExpiresAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "refreshToken": issued.refresh_token,
        "email": email,
    }
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        person, conversation_id = await client_with_conversation(http, settings, name="Зоя")
        await send_ok(http, person.token, conversation_id, "Первое сообщение")
        await page.goto(f"{live_server}/console")
        # Reloading before the page has started would abort its operations fetch.
        await expect(page.locator("#login-view")).to_be_visible()
        await page.evaluate(
            "(s) => sessionStorage.setItem('psyline.console.session', JSON.stringify(s))", session
        )
        await page.reload()
        item = page.locator(f'[data-testid="queue-item"][data-id="{conversation_id}"]')
        await item.click()
        messages = page.locator("#message-list [data-testid=message]")
        await expect(messages.filter(has_text="Первое сообщение")).to_have_count(1, timeout=5_000)

        # The server ends the subscriptions at expiry; the page gets a new token.
        await page.wait_for_function(
            "(old) => JSON.parse(sessionStorage.getItem('psyline.console.session'))"
            ".accessToken !== old",
            arg=issued.access_token,
            timeout=15_000,
        )
        conn = page.locator("#conn")
        await expect(conn).to_have_attribute("data-state", "online", timeout=10_000)
        await asyncio.sleep(0.5)

        # Both subscriptions work again, on the new connection.
        text = f"После истечения токена {uuid.uuid4().hex[:6]}"
        await send_ok(http, person.token, conversation_id, text)
        await expect(messages.filter(has_text=text)).to_have_count(1, timeout=1_000)
        await expect(item).to_contain_text(text, timeout=1_000)
        ids = await messages.evaluate_all("nodes => nodes.map(n => n.dataset.id)")
        assert len(ids) == len(set(ids))
        await answer(http, settings, conversation_id)
    assert_page_clean(page)


async def test_console_refuses_a_wrong_password_and_signs_out_cleanly(
    live_server: str, page: Any
) -> None:
    from playwright.async_api import expect

    email = await _agent("Нина Строгая")
    await page.goto(f"{live_server}/console")
    await page.fill("#email", email)
    await page.fill("#password", "not the password at all")
    await page.click("#login-submit")
    await expect(page.locator("#login-error")).to_be_visible()
    await expect(page.locator("#app-view")).to_be_hidden()
    assert await page.evaluate(SESSION_JS) is None

    await _sign_in_on_page(page, live_server, email)
    assert (await page.evaluate(SESSION_JS))["email"] == email
    await page.click("#sign-out")
    await expect(page.locator("#login-view")).to_be_visible()
    await expect(page.locator("#app-view")).to_be_hidden()
    assert await page.evaluate(SESSION_JS) is None
    await page.reload()  # nothing left to resume
    await expect(page.locator("#login-view")).to_be_visible()
    assert_page_clean(page)
