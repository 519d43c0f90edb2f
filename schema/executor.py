"""The executor of every operation: strawberry's, with shared subscription events
(``schema.sharing``) and fast paths for plain fields.

A catalogue page executes ~1,300 fields, most of them a scalar read off an object that
is already loaded (``fullName``, ``startsAt``, ``amount``). For each, graphql-core builds
a resolve info and calls strawberry's default resolver, which reads the attribute. For a
field that strawberry itself marks basic (no resolver, no extensions: it passes no info
to it either), of a scalar or enum type, this reads the attribute and serializes it
directly; anything else (``null`` for a non-null field, a value that does not serialize,
middleware) takes graphql-core's own path, so errors look exactly as before.
"""

from __future__ import annotations

from typing import Any, cast

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.pyutils import AwaitableOrValue, Path, Undefined

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
        # strawberry marks a field without a resolver ``_is_default`` even when it has
        # extensions (permissions...): those must run, so the field must be basic too.
        basic = definition.is_basic_field and getattr(field_def.resolve, "_is_default", False)
        return_type = field_def.type
        non_null = isinstance(return_type, GraphQLNonNull)
        leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if basic and not field_def.args and isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
            found = (definition.python_name, leaf, non_null)
    _plain[key] = found
    return found


class _NotPlain(Exception):
    """A plan met something only graphql-core's path handles."""


# One step of a plan: response key, attribute (None: ``__typename``), leaf type and
# non-null, or the object type, non-null and its own plan.
Step = tuple[str, str | None, Any, bool, "Plan | None"]
Plan = tuple[GraphQLObjectType, list[Step]]


def _unwrap(t: Any) -> tuple[Any, bool]:
    return (t.of_type, True) if isinstance(t, GraphQLNonNull) else (t, False)


def _run(plan: Plan, source: Any, *, checked: bool = False) -> dict[str, Any]:
    """``checked``: graphql-core's ``complete_object_value`` already asked ``is_type_of``
    (the top object); nested plain objects are asked here."""
    object_type, steps = plan
    is_type_of = object_type.is_type_of
    if not checked and is_type_of is not None and is_type_of(source, cast(Any, None)) is not True:
        raise _NotPlain
    out: dict[str, Any] = {}
    for key, attribute, leaf, non_null, sub in steps:
        if attribute is None:
            out[key] = object_type.name
            continue
        value = getattr(source, attribute, Undefined)
        if value is None:
            if non_null:
                raise _NotPlain
            out[key] = None
        elif value is Undefined or isinstance(value, Exception):
            raise _NotPlain
        elif sub is not None:
            out[key] = _run(sub, value)
        else:
            try:
                serialized = leaf.serialize(value)
            except Exception as error:
                raise _NotPlain from error
            if serialized is None or serialized is Undefined:
                raise _NotPlain
            out[key] = serialized
    return out


class PsylineExecutor(SharingExecutor):
    _plans: dict[tuple[str, int], tuple[Any, Plan | None]]

    def _plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        """The plan of ``return_type`` under this selection, or None when not plain."""
        plans = self.__dict__.setdefault("_plans", {})
        key = (return_type.name, id(field_details_list))
        if key in plans:
            known: Plan | None = plans[key][1]
            return known
        plans[key] = (field_details_list, None)  # a cycle of selections is not plain
        plan = self._make_plan(return_type, field_details_list)
        plans[key] = (field_details_list, plan)  # the list is kept alive with its id
        return plan

    def _make_plan(self, return_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            return_type, field_details_list
        )
        if new_defer_usages:
            return None
        steps: list[Step] = []
        for key, details in grouped_field_set.items():
            node = details[0].node
            name = node.name.value
            if node.arguments or any(d.defer_usage is not None for d in details):
                return None
            if name == "__typename":
                steps.append((key, None, None, True, None))
                continue
            leaf = _plain_leaf(return_type, name)
            if leaf is not None:
                attribute, leaf_type, non_null = leaf
                steps.append((key, attribute, leaf_type, non_null, None))
                continue
            field_def = return_type.fields.get(name)
            definition = field_def.extensions.get("strawberry-definition") if field_def else None
            if field_def is None or definition is None or field_def.args:
                return None
            if not (definition.is_basic_field and getattr(field_def.resolve, "_is_default", False)):
                return None
            inner, non_null = _unwrap(field_def.type)
            if not isinstance(inner, GraphQLObjectType):
                return None
            sub = self._plan(inner, details)
            if sub is None:
                return None
            steps.append((key, definition.python_name, None, non_null, sub))
        return (return_type, steps)

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        manager = self.middleware_manager
        if manager is None or not manager.middlewares:
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                try:
                    return _run(plan, result, checked=True)
                except _NotPlain:
                    pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

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
