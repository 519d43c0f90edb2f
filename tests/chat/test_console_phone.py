# ruff: noqa: RUF001 - Russian text
"""The care console at phone width (390 x 844) and "Мои диалоги", in headless Chromium.

Given an agent on a 390 px screen, the sign-in view, the queue and an open conversation
with a long unbroken message all fit the width (nothing scrolls sideways), the list and
the chat take turns with a back button, and every label is Russian. "Мои диалоги" lists
the conversations the agent answered (they left the queue), tells clients apart by short
reference and partner, and finds one by reference or by name.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.chat.reference import client_reference
from app.core.settings import Settings
from app.identity.sessions import start_session
from models.identity import Partner, User
from tests.browser import offline_page
from tests.chat.test_console_browser import (
    _agent,
    _sign_in_on_page,
    answer,
    client_with_conversation,
    send_ok,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/console-390.png"  # noqa: S108 - looked at by hand

# Anything wider than the screen: the document's scroll width, and the elements whose
# box ends past the right edge (by id or class, to say which).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > width + 0.5;
    })
    .map((e) => e.id || e.className || e.tagName)
    .slice(0, 10);
  return { width, scrollWidth: document.documentElement.scrollWidth, wide };
}"""

# Every label, button, heading, placeholder and empty-state text a user reads.
LABELS_JS = """() => [
  ...document.querySelectorAll("button, label, h1, h2, .empty, .chat-placeholder, title"),
].map((e) => e.textContent.trim()).concat(
  [...document.querySelectorAll("[placeholder]")].map((e) => e.getAttribute("placeholder")),
  [...document.querySelectorAll("[aria-label]")].map((e) => e.getAttribute("aria-label")),
).filter(Boolean)"""


# Latin words in a Russian UI: only the brand, key names and a sample reference.
LATIN = re.compile(r"[A-Za-z]{2,}")
ALLOWED_LATIN = re.compile(r"Psyline|Shift|Enter|1EY-XKK6")


@pytest.fixture
async def phone(browser: Any) -> AsyncIterator[Any]:
    async with offline_page(browser, viewport=PHONE, locale="ru-RU", is_mobile=True) as (
        page,
        problems,
    ):
        page.problems = problems
        yield page
    problems.assert_clean()
    assert not problems.console_errors, problems.console_errors


async def assert_fits(page: Any, where: str) -> None:
    found = await page.evaluate(OVERFLOW_JS)
    assert found["scrollWidth"] <= PHONE["width"], (where, found)
    assert found["wide"] == [], (where, found)


async def test_the_console_fits_a_phone_and_speaks_russian(
    settings: Settings, live_server: str, phone: Any
) -> None:
    from playwright.async_api import expect

    email = await _agent("Мария Заботина")
    await phone.goto(f"{live_server}/console")
    await expect(phone.locator("#login-view")).to_be_visible()
    await assert_fits(phone, "sign-in")
    for text in await phone.evaluate(LABELS_JS):
        assert not LATIN.findall(ALLOWED_LATIN.sub("", text)), text

    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        person, conversation_id = await client_with_conversation(http, settings, "Ольга")
        long_word = "оченьдлинноесловобезпробелов" * 12
        await send_ok(http, person.token, conversation_id, f"Не работает звук {long_word}")
        await _sign_in_on_page(phone, live_server, email)
        item = phone.locator(f'[data-testid="queue-item"][data-id="{conversation_id}"]')
        await expect(item).to_be_visible(timeout=5_000)
        await assert_fits(phone, "queue")

        # Opened, the conversation takes the screen; the list comes back with the arrow.
        await item.click()
        message = phone.locator("#message-list [data-testid=message]", has_text=long_word)
        await expect(message).to_have_count(1, timeout=5_000)
        await expect(phone.locator("#queue-view")).to_be_hidden()
        await expect(phone.locator("#chat-sub")).to_contain_text(client_reference(person.user.id))
        await phone.fill("#reply", "Проверьте, пожалуйста, разрешение на микрофон")
        await assert_fits(phone, "conversation")
        await phone.screenshot(path=SCREENSHOT)
        await phone.click("#chat-back")
        await expect(phone.locator("#queue-view")).to_be_visible()
        await expect(phone.locator("#chat-body")).to_be_hidden()
        await answer(http, settings, conversation_id)


async def test_my_conversations_keep_the_answered_and_find_a_client(
    settings: Settings, live_server: str, phone: Any
) -> None:
    from playwright.async_api import expect

    email = await _agent("Ирина Внимательная")
    token = (await start_session(settings, await User.get(email=email))).access_token
    partner = await Partner.create(
        name=f"Клиника «Здоровье» {uuid.uuid4().hex[:4]}",
        issuer=f"https://{uuid.uuid4().hex}.example",
    )
    suffix = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        anna, anna_cid = await client_with_conversation(http, settings, f"Анна {suffix}")
        boris, boris_cid = await client_with_conversation(http, settings, f"Борис {suffix}")
        await User.filter(id=anna.user.id).update(latest_partner_id=partner.id)
        for person, cid in ((anna, anna_cid), (boris, boris_cid)):
            await send_ok(http, person.token, cid, "Помогите выбрать психолога")
            await send_ok(http, token, cid, "Конечно, расскажите, что вас беспокоит")

        # Both were answered, so neither waits in the queue; both are in my conversations.
        await _sign_in_on_page(phone, live_server, email)
        await phone.click("[data-testid=tab-mine]")
        await expect(phone.locator("#mine")).to_have_attribute("data-loaded", "true")
        items = phone.locator("[data-testid=mine-item]")
        await expect(items).to_have_count(2)
        await expect(items.nth(0)).to_have_attribute("data-id", boris_cid)  # newest first
        anna_item = phone.locator(f'[data-testid=mine-item][data-id="{anna_cid}"]')
        reference = client_reference(anna.user.id)
        await expect(anna_item.locator("[data-testid=client-line]")).to_contain_text(reference)
        await expect(anna_item.locator("[data-testid=client-line]")).to_contain_text(partner.name)
        await assert_fits(phone, "my conversations")

        # Found by the reference (as typed: lower case, no dash) and by the name.
        await phone.fill("[data-testid=mine-search]", reference.lower().replace("-", ""))
        await expect(items).to_have_count(1)
        await expect(items.nth(0)).to_have_attribute("data-id", anna_cid)
        await phone.fill("[data-testid=mine-search]", f"борис {suffix}")
        await expect(items).to_have_count(1)
        await expect(items.nth(0)).to_have_attribute("data-id", boris_cid)
        await phone.fill("[data-testid=mine-search]", f"никого {suffix}")
        await expect(items).to_have_count(0)
        await expect(phone.locator("#mine-empty")).to_have_text(
            "Ничего не найдено. Проверьте имя или номер клиента."
        )

        # Opened from the list, the history is there; the reply keeps it on top.
        await phone.fill("[data-testid=mine-search]", reference)
        await items.nth(0).click()
        history = phone.locator("#message-list [data-testid=message]")
        await expect(history.filter(has_text="Помогите выбрать")).to_have_count(1)
        await expect(phone.locator("#chat-sub")).to_contain_text(partner.name)
        await phone.click("#chat-back")
        await expect(items.nth(0)).to_have_attribute("data-id", anna_cid)
