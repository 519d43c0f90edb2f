"""The committed SDL and the shared contract agree with the live schema.

- ``schema.graphql`` is the exported SDL of the live schema: regenerate it with
  ``python -m app export-schema`` whenever the schema changes.
- Every operation of ``../shared/contract/*.graphql`` validates against the live
  schema, except those listed in ``tests/contract_pending.py`` (and a listed one
  that already validates fails too, so the list shrinks as issues land).
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

import pytest
from graphql import GraphQLError, GraphQLSchema, parse, validate

from app.cli.main import export_schema_sdl
from schema import build_schema
from tests.contract_pending import PENDING
from tests.helpers import NO_CONTRACT, ROOT, contract_operations, contract_present

SDL_FILE = ROOT / "schema.graphql"
REGENERATE = "run `python -m app export-schema` and commit schema.graphql"


@functools.cache
def _live() -> GraphQLSchema:
    return build_schema()._schema


def _errors(name: str) -> list[GraphQLError]:
    return validate(_live(), parse(contract_operations()[name]))


def test_committed_schema_graphql_matches_the_live_schema() -> None:
    assert SDL_FILE.exists(), f"schema.graphql is missing: {REGENERATE}"
    committed = SDL_FILE.read_text(encoding="utf-8")
    live = export_schema_sdl()
    if committed != live:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    live.splitlines(keepends=True),
                    "schema.graphql (committed)",
                    "live schema",
                )
            )[:60]
        )
        pytest.fail(f"schema.graphql is out of date: {REGENERATE}\n{diff}")


def _contract_names() -> list[Any]:
    if not contract_present():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_CONTRACT))]
    return sorted(contract_operations())


@pytest.mark.skipif(not contract_present(), reason=NO_CONTRACT)
def test_pending_names_are_contract_operations() -> None:
    unknown = set(PENDING) - set(contract_operations())
    assert not unknown, f"tests/contract_pending.py lists unknown operations: {unknown}"


@pytest.mark.parametrize("name", _contract_names())
def test_contract_operation_validates(name: str) -> None:
    errors = _errors(name)
    if name in PENDING:
        assert errors, (
            f"{name} validates now: remove it from tests/contract_pending.py "
            f"(pending for: {PENDING[name]})"
        )
        return
    assert not errors, [e.message for e in errors]
