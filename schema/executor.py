"""The executor of every operation: strawberry's, with shared subscription events
(``schema.sharing``) and a fast path for plain leaf fields.

A catalogue page executes ~1,300 fields, most of them a scalar read off an object that
is already loaded (``fullName``, ``startsAt``, ``amount``). For each, graphql-core builds
a resolve info and calls strawberry's default resolver, which reads the attribute. For a
field that strawberry itself marks basic (no resolver, no extensions: it passes no info
to it either), of a scalar or enum type, this reads the attribute and serializes it
directly; anything else (``null`` for a non-null field, a value that does not serialize,
middleware) takes graphql-core's own path, so errors look exactly as before.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import Path, Undefined

from schema.sharing import SharingExecutor

# (type name, field name) -> (attribute, leaf type, non-null) or None when not plain.
Plain = tuple[str, GraphQLScalarType | GraphQLEnumType, bool] | None
_plain: dict[tuple[str, str], Plain] = {}


def _plain_leaf(parent_type: GraphQLObjectType, name: str) -> Plain:
    key = (parent_type.name, name)
    if key in _plain:
        return _plain[key]
    found: Plain = None
    field_def = parent_type.fields.get(name)
    definition = field_def.extensions.get("strawberry-definition") if field_def else None
    if field_def is not None and definition is not None:
        basic = getattr(field_def.resolve, "_is_default", False)
        return_type = field_def.type
        non_null = isinstance(return_type, GraphQLNonNull)
        leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if basic and not field_def.args and isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
            found = (definition.python_name, leaf, non_null)
    _plain[key] = found
    return found


class PsylineExecutor(SharingExecutor):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        first = field_details_list[0].node
        plain = None if first.arguments else _plain_leaf(parent_type, first.name.value)
        manager = self.middleware_manager
        if plain is not None and (manager is None or not manager.middlewares):
            attribute, leaf, non_null = plain
            value = getattr(source, attribute, Undefined)
            if value is None and not non_null:
                return None
            if value is not None and value is not Undefined and not isinstance(value, Exception):
                try:
                    completed = self.complete_leaf_value(leaf, value)
                except Exception:
                    completed = None
                if completed is not None:
                    return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
