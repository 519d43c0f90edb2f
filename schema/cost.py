"""What a request may cost, computed from the document before anything runs.

Two checks, both before the work they protect:

- **Size** (``document_size_refusal``), before graphql-core's validation: the number of
  field selections with every fragment expanded (``max_selections``), and how often one
  response key or fragment repeats in a single selection set (``max_repeats``). Both
  are counted on the syntax tree in linear time, so a document built to make validation
  quadratic (300 copies of one field) is refused for the price of reading it.
- **Cost** (``operation_cost``), after validation, with the request's variables: the
  cost model of the GraphQL cost directive specification (IBM, as used by Apollo and
  Hot Chocolate). A field returning an object costs its ``@cost(weight:)`` (default 1;
  scalars and enums 0: what a resolver call costs) plus its children; a list of objects
  adds, per item, 1 plus the item's children, times its size: the slicing argument
  (``first`` / ``last``, capped at the field's maximum), else its ``@listSize``
  ``assumedSize``, else ``DEFAULT_LIST_SIZE``. On a connection, the size multiplies
  only ``edges`` and ``nodes``. Fragments on several types are summed (an upper bound).

The directives are declared next to the fields (``cost(5)``, ``list_size(...)``) and
printed in ``schema.graphql``, so a client can compute what its operations cost; every
response says it in ``extensions.cost`` and a refusal carries ``cost`` and ``budget``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.schema_directive import Location

from app.core.errors import TopLevelCode
from app.core.messages import DEFAULT_LOCALE, Locale, Message, Msg, locale_of, render_any
from app.core.text import text_problem

log = logging.getLogger("psyline.graphql")

DEFAULT_LIST_SIZE = 10  # a list field that declares no size (small fixed lists)
# A catalogue-wide availability ranking (soonestSlots, the catalogue by SOONEST_AVAILABLE
# or availableBefore) measured at 85-440 ms: a fifth of the budget. Lower it when the
# ranking is O(page).
SOONEST_WEIGHT = 2_000
SIZED_FIELDS = ("edges", "nodes")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="The cost of resolving this field once (GraphQL cost directive spec).",
)
class Cost:
    weight: int


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="How many items this list or connection returns, for cost analysis.",
)
class ListSize:
    assumed_size: int | None = None
    slicing_arguments: list[str] | None = None
    sized_fields: list[str] | None = None
    # Not in the spec: the largest page the field serves (bigger values are capped).
    maximum: int | None = None


def cost(weight: int) -> Cost:
    return Cost(weight=weight)


def page(
    maximum: int, *, weight: int = 1, connection: bool = True, slicing: str = "first"
) -> list[object]:
    """The directives of a paginated field: sliced by ``slicing``, up to ``maximum``."""
    size = ListSize(
        slicing_arguments=[slicing],
        sized_fields=list(SIZED_FIELDS) if connection else None,
        maximum=maximum,
    )
    return [cost(weight), size] if weight != 1 else [size]


def list_of(assumed_size: int, *, weight: int = 1) -> list[object]:
    """The directives of an unpaginated list of about ``assumed_size`` items."""
    size = ListSize(assumed_size=assumed_size)
    return [cost(weight), size] if weight != 1 else [size]


# ------------------------------------------------------------------ size, before validation


@dataclass(frozen=True)
class SizeLimits:
    max_selections: int
    max_repeats: int


def document_size_refusal(
    document: DocumentNode, limits: SizeLimits, locale: Locale = DEFAULT_LOCALE
) -> GraphQLError | None:
    """A refusal if the document has too many selections or repeats, else None."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counter = _SelectionCounter(fragments, limits)
    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += counter.count(definition.selection_set)
    if counter.broken is not None:  # refused here: strawberry's depth rule would crash on it
        return _refusal(counter.broken, TopLevelCode.GRAPHQL_VALIDATION_FAILED)
    repeated = counter.repeated
    if repeated is not None:
        return _refusal(
            Msg.TOO_MANY_REPEATS(field=repeated, limit=limits.max_repeats),
            TopLevelCode.QUERY_TOO_LARGE,
            locale=locale,
            maxRepeats=limits.max_repeats,
        )
    if total > limits.max_selections:
        return _refusal(
            Msg.TOO_MANY_SELECTIONS(limit=limits.max_selections),
            TopLevelCode.QUERY_TOO_LARGE,
            locale=locale,
            maxSelections=limits.max_selections,
        )
    return None


class _SelectionCounter:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], limits: SizeLimits) -> None:
        self.fragments = fragments
        self.limits = limits
        self.memo: dict[str, int] = {}
        self.visiting: set[str] = set()
        self.repeated: str | None = None
        self.broken: str | None = None  # an unknown or cyclic fragment spread

    def count(self, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        keys: Counter[str] = Counter()
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                keys[key] += 1
                total += 1 + self.count(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += self.count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                keys["..." + selection.name.value] += 1
                total += self._fragment(selection.name.value)
            if total > self.limits.max_selections:  # enough: stop reading
                return total
        key, times = keys.most_common(1)[0] if keys else ("", 0)
        if times > self.limits.max_repeats and self.repeated is None:
            self.repeated = key
        return total

    def _fragment(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        fragment = self.fragments.get(name)
        if fragment is None:
            self.broken = self.broken or f"Unknown fragment '{name}'."
            return 0
        if name in self.visiting:
            self.broken = self.broken or f"Cannot spread fragment '{name}' within itself."
            return 0
        self.visiting.add(name)
        self.memo[name] = self.count(fragment.selection_set)
        self.visiting.discard(name)
        return self.memo[name]


class _TextCheck(Visitor):
    """Finds the first string literal that the database could not store."""

    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def enter_string_value(self, node: StringValueNode, *_: object) -> object:
        self.problem = text_problem(node.value)
        return BREAK if self.problem else None


def unsafe_literal_refusal(document: DocumentNode) -> GraphQLError | None:
    """A refusal if a string literal holds a NUL or a lone surrogate (``"\\u0000"``)."""
    check = _TextCheck()
    visit(document, check)
    return _refusal(check.problem, TopLevelCode.BAD_USER_INPUT) if check.problem else None


def _refusal(
    message: str | Message,
    code: TopLevelCode,
    locale: Locale = DEFAULT_LOCALE,
    **extensions: object,
) -> GraphQLError:
    """graphql-core's own wording (a str) stays English; catalogue messages are rendered."""
    return GraphQLError(render_any(message, locale), extensions={"code": code.value, **extensions})


# ------------------------------------------------------------------ cost, after validation


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    default_maximum: int,
) -> int:
    """The cost of the operation the request runs (the document is valid)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (o for o in operations if operation_name is None or _named(o, operation_name)),
        None,
    )
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    defaults = {
        v.variable.name.value: v.default_value.value
        for v in operation.variable_definitions or ()
        if isinstance(v.default_value, IntValueNode)
    }
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _CostWalker(schema, fragments, {**defaults, **(variables or {})}, default_maximum)
    return walker.selection_set(operation.selection_set, root)


def _named(operation: OperationDefinitionNode, name: str) -> bool:
    return operation.name is not None and operation.name.value == name


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        default_maximum: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_maximum = default_maximum

    def selection_set(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        sized: Sequence[str] = (),
        size: int = 1,
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in sized:  # edges / nodes: the connection's size
                    total += size * self.field(selection, parent, own_size=False)
                else:
                    total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                on = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.selection_set(selection.selection_set, on, sized, size)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    on = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selection_set(fragment.selection_set, on, sized, size)
        return total

    def field(self, node: FieldNode, parent: Any, *, own_size: bool = True) -> int:
        definition = _field_definition(parent, node.name.value)
        if definition is None:  # __typename and friends
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        directives = _directives(definition)
        weight = directives.cost.weight if directives.cost else 1
        size_spec = directives.list_size
        sized = tuple(size_spec.sized_fields or ()) if size_spec else ()
        if sized:  # a connection: its size multiplies its edges / nodes only
            size = self._size(node, definition, size_spec)
            return weight + self.selection_set(node.selection_set, named, sized, size)
        children = self.selection_set(node.selection_set, named)
        if not own_size:  # the edges / nodes of a connection: 1 per item
            return 1 + children
        if is_list_type(get_nullable_type(definition.type)):
            return weight + self._size(node, definition, size_spec) * (1 + children)
        return weight + children

    def _size(self, node: FieldNode, definition: GraphQLField, spec: ListSize | None) -> int:
        if spec is None:
            return DEFAULT_LIST_SIZE
        maximum = spec.maximum or self.default_maximum
        if spec.slicing_arguments:
            sizes = [self._int_argument(node, definition, a) for a in spec.slicing_arguments]
            given = [s for s in sizes if s is not None]
            return min(max(given), maximum) if given else maximum
        return spec.assumed_size if spec.assumed_size is not None else DEFAULT_LIST_SIZE

    def _int_argument(self, node: FieldNode, definition: GraphQLField, name: str) -> int | None:
        if name not in definition.args:
            return None
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        value: object
        if argument is None:
            value = definition.args[name].default_value
        elif isinstance(argument.value, VariableNode):
            value = self.variables.get(argument.value.name.value)
        elif isinstance(argument.value, IntValueNode):
            value = argument.value.value
        else:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None  # absent or not a number: the maximum applies
        try:
            return max(0, int(value))
        except ValueError:
            return None


@dataclass(frozen=True)
class _FieldDirectives:
    cost: Cost | None
    list_size: ListSize | None


def _directives(definition: GraphQLField) -> _FieldDirectives:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    found = list(getattr(strawberry_field, "directives", None) or ())
    return _FieldDirectives(
        cost=next((d for d in found if isinstance(d, Cost)), None),
        list_size=next((d for d in found if isinstance(d, ListSize)), None),
    )


def _field_definition(parent: Any, name: str) -> GraphQLField | None:
    """The field on an object or interface (a union has only ``__typename``)."""
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None


# ------------------------------------------------------------------ the extension


@dataclass(frozen=True)
class Budget:
    """What one request may cost and how big its document may be (from the settings)."""

    cost: int
    max_selections: int
    max_repeats: int
    default_maximum: int

    @property
    def size(self) -> SizeLimits:
        return SizeLimits(self.max_selections, self.max_repeats)


MAX_REPEATS = 5  # one response key (or fragment) in one selection set
DEFAULT_BUDGET = Budget(
    cost=10_000, max_selections=500, max_repeats=MAX_REPEATS, default_maximum=100
)

# graphql-core's validation, cached per document (strawberry's ValidationCache, which
# this replaces, would overwrite a size refusal with the validation result).
_validate = lru_cache(maxsize=256)(validate_document)


@contextmanager
def _failing_closed() -> Iterator[None]:
    """A bug in these checks refuses the request with a masked error: an exception raised
    from an extension hook would reach the client with its own message."""
    try:
        yield
    except GraphQLError:
        raise
    except Exception:
        log.exception("request limits: the analysis failed")
        raise _refusal(Msg.INTERNAL_SERVER_ERROR, TopLevelCode.INTERNAL_SERVER_ERROR) from None


class RequestLimits(SchemaExtension):
    """The size check before validation, the cost check before execution; the cost of
    each executed operation in ``extensions.cost``."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        with _failing_closed():
            refusal = (
                document_size_refusal(document, self.budget.size, locale_of(context.context))
                or unsafe_literal_refusal(document)
                if document
                else None
            )
        if refusal is not None:
            context.pre_execution_errors = [refusal]
        elif document is not None:
            context.pre_execution_errors = _validate(
                context.schema._schema, document, context.validation_rules
            )
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        with _failing_closed():
            self.cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                default_maximum=self.budget.default_maximum,
            )
        if self.cost > self.budget.cost:
            # A GraphQLError with its extensions, as validation errors are: an exception
            # from this hook bypasses the error-shaping extension.
            raise _refusal(
                Msg.QUERY_TOO_COSTLY(cost=self.cost, budget=self.budget.cost),
                TopLevelCode.QUERY_TOO_COSTLY,
                locale=locale_of(context.context),
                cost=self.cost,
                budget=self.budget.cost,
            )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "budget": self.budget.cost}}
