"""Trusted documents: the operations shipped apps send, registered ahead of time.

``python -m app documents add FILE...`` registers every named operation of ``.graphql``
files (each with the fragments it uses) and of Apollo's persisted query manifests
(``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
"name", "type", "body"}]}``, as ``@apollo/generate-persisted-query-manifest`` writes
them; an ``id`` that is not the SHA-256 of its ``body`` is refused). ``documents list``
shows them; ``seed --demo`` registers the contract (``app/contract``).

With ``TRUSTED_DOCUMENTS_ONLY=true`` (recommended in production) only registered
documents run: by hash (``extensions.persistedQuery.sha256Hash``, the SHA-256 of the
registered text or of its canonical print) or by text (compared by canonical print, so
formatting does not matter); anything else is refused with
``PERSISTED_QUERY_NOT_IN_LIST``, as Apollo's router names it. No role is exempt: the care
console sends contract operations, which are registered like the apps' (chosen so that
a stolen staff token cannot run arbitrary queries either).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
)

from app.core.errors import TopLevelCode, public_graphql_error
from app.core.messages import Locale, Msg
from app.core.operations import fragments_used
from app.core.persisted import sha256_hex
from models.api import TrustedDocument

NOT_IN_LIST = TopLevelCode.PERSISTED_QUERY_NOT_IN_LIST
MANIFEST_FORMAT = "apollo-persisted-query-manifest"


@dataclass(frozen=True)
class Operation:
    name: str | None
    kind: str
    body: str


def canonical_hash(text: str) -> str:
    """The SHA-256 of the document's canonical print (formatting and comments aside)."""
    return sha256_hex(print_ast(parse(text)))


def _with_fragments(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> str:
    """The operation and every fragment it uses (transitively), printed."""
    parts = [operation, *fragments_used(operation, fragments)]
    return "\n\n".join(print_ast(p) for p in parts)


def operations_of_graphql(text: str) -> list[Operation]:
    document: DocumentNode = parse(text)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return [
        Operation(
            d.name.value if d.name else None,
            d.operation.value,
            _with_fragments(d, fragments),
        )
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def operations_of_manifest(data: dict[str, object]) -> list[Operation]:
    if data.get("format") != MANIFEST_FORMAT or data.get("version") != 1:
        raise ValueError(f"not an {MANIFEST_FORMAT} (version 1)")
    entries = data.get("operations")
    if not isinstance(entries, list):
        raise ValueError("the manifest needs an operations list")
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), str):
            raise ValueError("every manifest operation needs a string body")
        body = entry["body"]
        if entry.get("id") != sha256_hex(body):
            raise ValueError(f"operation {entry.get('name')!r}: id is not the SHA-256 of body")
        found.append(Operation(entry.get("name"), str(entry.get("type", "query")), body))
    return found


def operations_of_file(path: Path) -> list[Operation]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return operations_of_manifest(json.loads(text))
    return operations_of_graphql(text)


async def register(operations: Iterable[Operation], source: str) -> int:
    """Register (or keep) each operation; how many were new."""
    added = 0
    for op in operations:
        digest = sha256_hex(op.body)
        _, created = await TrustedDocument.get_or_create(
            id=digest,
            defaults={
                "canonical_hash": canonical_hash(op.body),
                "name": op.name,
                "operation": op.kind,
                "body": op.body,
                "source": source[:255],
            },
        )
        added += created
    return added


async def trusted_text(query: str | None, digest: str | None, locale: Locale) -> str | GraphQLError:
    """The registered text to run for this request, or the refusal."""
    found: TrustedDocument | None = None
    if digest is not None:
        found = (
            await TrustedDocument.get_or_none(id=digest)
            or await TrustedDocument.filter(canonical_hash=digest).first()
        )
    elif query is not None:
        try:
            canonical = canonical_hash(query)
        except GraphQLError:
            canonical = ""
        found = await TrustedDocument.filter(canonical_hash=canonical).first()
    if found is None:
        return public_graphql_error(Msg.PERSISTED_QUERY_NOT_IN_LIST, NOT_IN_LIST, locale)
    return found.body
