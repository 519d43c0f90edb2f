"""The admins' dashboard on the care console, in headless Chromium against a real uvicorn.

Given an admin scoped to a partner that signed a client in today, when the admin signs
in on the console and opens "Показатели", then the figures of the last 30 days show (one
registration) with an inline-SVG chart of registrations and time to the first
consultation per day. A care agent signing in gets no dashboard at all.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from app.identity.staff import create_staff
from models.enums import Role
from schema.relay import to_global_id
from tests.chat.test_console_browser import PASSWORD, _sign_in_on_page, assert_page_clean, page
from tests.identity.support import make_partner, sign_in

pytestmark = pytest.mark.browser
__all__ = ["page"]  # the fixture, shared with the console's own browser tests

SCREENSHOT = "/tmp/console-dashboard.png"  # noqa: S108 - looked at by hand


async def test_an_admin_sees_the_partners_figures_and_their_chart(
    live_server: str, page: Any
) -> None:
    from playwright.async_api import expect

    partner = await make_partner()
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        signed = await sign_in(http, partner.mint())
        assert signed["errors"] == []
    email = f"admin-{uuid.uuid4().hex[:10]}@kpi.test"
    await create_staff(email, Role.ADMIN, PASSWORD, partner=partner.partner.name)

    await _sign_in_on_page(page, live_server, email)
    opener = page.locator("[data-testid=open-dashboard]")
    await expect(opener).to_have_text("Показатели", timeout=5_000)
    await opener.click()

    dashboard = page.locator("[data-testid=dashboard]")
    await expect(dashboard).to_have_attribute("data-loaded", "true", timeout=5_000)
    await expect(page.locator("#app-view")).to_be_hidden()
    await expect(page.locator("[data-testid=figure-registrations-value]")).to_have_text("1")
    await expect(page.locator("[data-testid=dash-partner]")).to_be_hidden()  # nothing to choose
    await expect(page.locator("#dash-scope")).to_contain_text(partner.partner.name)
    await expect(page.locator("#dash-scope")).to_contain_text("Europe/Moscow")
    bars = page.locator("[data-testid=dash-chart] svg rect.bar")
    assert await bars.count() >= 30  # every local day of the period, zeros included
    assert await page.locator('[data-testid=dash-chart] rect.bar[data-count="1"]').count() == 1
    assert await page.locator("[data-testid=figure-ttfc-value]").text_content() == "—"
    await page.screenshot(path=SCREENSHOT, full_page=True)

    # A period the API refuses shows its message; back to the conversations.
    await page.fill("#dash-from", "2020-01-01")
    await page.click("#dash-show")
    await expect(page.locator("#dash-error")).to_contain_text("366")
    await page.click("#dash-back")
    await expect(page.locator("#app-view")).to_be_visible()
    await expect(dashboard).to_be_hidden()

    assert_page_clean(page)


async def test_a_care_agent_has_no_dashboard(live_server: str, page: Any) -> None:
    email = f"agent-{uuid.uuid4().hex[:10]}@kpi.test"
    await create_staff(email, Role.CARE_AGENT, PASSWORD, display_name="Агент")

    await _sign_in_on_page(page, live_server, email)
    await asyncio.sleep(0.5)  # the viewer's role is in by now

    assert await page.locator("[data-testid=open-dashboard]").count() == 0
    assert await page.locator("[data-testid=dashboard]").count() == 0
    assert_page_clean(page)


async def test_an_unscoped_admin_chooses_a_partner(live_server: str, page: Any) -> None:
    from playwright.async_api import expect

    partner = await make_partner()
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
        for _ in range(2):
            assert (await sign_in(http, partner.mint()))["errors"] == []
    email = f"admin-{uuid.uuid4().hex[:10]}@kpi.test"
    await create_staff(email, Role.ADMIN, PASSWORD)

    await _sign_in_on_page(page, live_server, email)
    await page.locator("[data-testid=open-dashboard]").click()
    dashboard = page.locator("[data-testid=dashboard]")
    await expect(dashboard).to_have_attribute("data-loaded", "true", timeout=5_000)
    await expect(page.locator("#dash-scope")).to_contain_text("все партнёры")
    choice = page.locator("[data-testid=dash-partner]")
    await expect(choice).to_be_visible()
    await choice.select_option(to_global_id("Partner", partner.partner.id))
    await expect(page.locator("#dash-scope")).to_contain_text(partner.partner.name)
    await expect(page.locator("[data-testid=figure-registrations-value]")).to_have_text("2")

    assert_page_clean(page)
