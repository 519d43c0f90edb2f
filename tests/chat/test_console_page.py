"""The care console page as served: strict CSP, local assets only, contract operations.

The page itself is exercised in Chromium by ``test_console_browser.py``; these
checks are cheap and run everywhere.
"""

from __future__ import annotations

import re

import httpx
import pytest
from graphql import parse, print_ast, validate

from app.core.settings import Settings
from app.web.console import CONSOLE_DIR, CONSOLE_OPERATIONS, CONSOLE_OWN_DOCUMENT
from models.enums import Role
from schema import build_schema
from tests.factories import signed_in
from tests.helpers import console_op, error_codes, gql, gql_raw, op


def _console_js() -> str:
    return (CONSOLE_DIR / "console.js").read_text(encoding="utf-8")


async def test_console_page_is_served_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_console_html_has_no_inline_code_and_nothing_from_outside(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/console")).text

    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in match.group(1), "inline script"
        assert not match.group(2).strip(), "inline script"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "asset from another origin"


async def test_console_assets_come_from_the_service(client: httpx.AsyncClient) -> None:
    for name, media_type in (
        ("console.js", "text/javascript"),
        ("console.css", "text/css"),
        ("operations.graphql", "application/graphql"),
        ("graphql-ws.min.js", "text/javascript"),
    ):
        response = await client.get(f"/console/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["x-content-type-options"] == "nosniff"
    graphql_ws = (await client.get("/console/graphql-ws.min.js")).text
    assert "graphqlWs" in graphql_ws  # the UMD global the page uses


async def test_console_serves_only_its_own_files(client: httpx.AsyncClient) -> None:
    for path in ("/console/index.html.bak", "/console/..%2Fconsole.py", "/console/.version"):
        assert (await client.get(path)).status_code == 404, path


async def test_console_sends_the_contract_operations_verbatim(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/console/operations.graphql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql")
    document = parse(response.text)
    assert validate(build_schema()._schema, document) == []
    found = {d.name.value: print_ast(d) for d in document.definitions}  # type: ignore[attr-defined]
    own = parse(CONSOLE_OWN_DOCUMENT.read_text(encoding="utf-8"))
    own_names = {d.name.value for d in own.definitions}  # type: ignore[attr-defined]

    assert sorted(set(found) - own_names) == sorted(CONSOLE_OPERATIONS)
    assert own_names == {
        "MyConversations",
        "ConversationClient",
        "ConsoleClient",
        "ConsoleViewer",
        "ConsolePartners",
        "ConsoleDashboard",
    }
    for name, printed in found.items():
        if name not in own_names:
            assert printed == op(name), name


def test_console_never_renders_data_as_html() -> None:
    source = _console_js()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink


# --- the partner's figures: a dashboard for admins only ------------------------------------


async def test_the_dashboard_is_not_in_the_page_but_built_for_admins_only(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/console")).text
    source = _console_js()

    # Nobody gets it with the page: console.js builds it once the viewer is an admin.
    assert "dashboard" not in html
    assert 'data.viewer.role === "ADMIN") mountDashboard()' in source
    assert "unmountDashboard();" in source  # and removes it on sign-out
    # The chart is the console's own inline SVG: no chart library, nothing vendored.
    assert "createElementNS(SVG_NS, tag)" in source
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert len(scripts) == 2
    assert any("console." in s for s in scripts)
    assert any("graphql-ws" in s for s in scripts)


@pytest.mark.parametrize(
    ("role", "sees"),
    [(Role.ADMIN, True), (Role.CARE_AGENT, False)],
)
async def test_the_dashboard_operations_answer_admins_only(
    client: httpx.AsyncClient, settings: Settings, role: Role, sees: bool
) -> None:
    who = await signed_in(settings, role)
    viewer = await gql(client, console_op("ConsoleViewer"), {}, who.token)
    assert viewer["viewer"]["role"] == role.value

    period = {"from": "2031-01-01T00:00:00+03:00", "to": "2031-01-31T00:00:00+03:00"}
    body = await gql_raw(client, console_op("ConsoleDashboard"), period, who.token)
    partners = await gql_raw(client, console_op("ConsolePartners"), {}, who.token)
    if sees:
        assert "errors" not in partners
        assert isinstance(partners["data"]["partners"], list)
        assert "errors" not in body
        figures = body["data"]["partnerMetrics"]
        assert len(figures["registrationsByDay"]) == 30
        assert len(figures["timeToFirstConsultationByDay"]) == 30
        assert figures["timeZone"] == "Europe/Moscow"
    else:
        assert error_codes(body) == ["FORBIDDEN"]
        assert error_codes(partners) == ["FORBIDDEN"]
