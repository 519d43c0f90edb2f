"""Counting the use of deprecated fields, per operation name and client name.

Each executed operation's document is read once (cached by text and operation name) for
the deprecated fields and enum values it selects (``schema.evolution``); when there are
any, the operation counts in ``runtime.usage`` under its name and the
``apollographql-client-name`` header (``app.core.usage``). Nothing is counted for
documents that fail validation; while the schema deprecates nothing, no document is
read at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from app.core.usage import DeprecatedUsage
from schema.evolution import deprecated_coordinates, field_coordinates


@lru_cache(maxsize=8)
def _deprecated(schema: GraphQLSchema) -> frozenset[str]:
    return frozenset(deprecated_coordinates(schema))


@lru_cache(maxsize=512)
def _used(schema: GraphQLSchema, document: DocumentNode, operation: str | None) -> frozenset[str]:
    """The deprecated coordinates an operation of a (parsed, valid) document selects."""
    deprecated = _deprecated(schema)
    if operation is not None:  # only the operation that runs (and what it spreads)
        kept = [
            d
            for d in document.definitions
            if not isinstance(d, OperationDefinitionNode) or (d.name and d.name.value == operation)
        ]
        document = DocumentNode(definitions=tuple(kept))
    return frozenset(field_coordinates(schema, document) & deprecated)


class CountDeprecatedUsage(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        usage = getattr(getattr(context.context, "runtime", None), "usage", None)
        schema = context.schema._schema
        # A schema that deprecates nothing costs one cached lookup (no document hashing).
        if document is not None and isinstance(usage, DeprecatedUsage) and _deprecated(schema):
            used = _used(schema, document, context.operation_name)
            if used:
                request = getattr(context.context, "request", None)
                client = request.headers.get("apollographql-client-name") if request else None
                usage.record(used, context.operation_name, client)
        yield
