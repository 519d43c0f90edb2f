"""A server fault reaches the client as a masked error: no message, no traceback, no 500."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.catalogue import service as catalogue
from app.core.messages import Msg
from tests.helpers import gql_raw


async def test_a_server_fault_is_masked_and_logged(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("internal detail: table psychologists is on fire")

    monkeypatch.setattr(catalogue, "count_psychologists", broken)
    with caplog.at_level(logging.ERROR, logger="psyline.graphql"):
        body = await gql_raw(client, "{ psychologists(first: 1) { totalCount } }")
    assert body["data"] is None or body["data"]["psychologists"] is None
    [error] = body["errors"]
    assert error["message"] == Msg.INTERNAL_SERVER_ERROR.render()  # in Russian
    assert "fire" not in str(body)
    assert "Traceback" not in str(body)
    # The operator sees what happened, with the traceback, in the server log.
    assert any(r.exc_info and "on fire" in str(r.exc_info[1]) for r in caplog.records)
