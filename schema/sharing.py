"""Subscription events executed once per group of subscribers, serialized once.

A message to a conversation wakes every subscriber of it. Their events are the same
message (``app.chat.delivery`` shares the read), and for the same document the
GraphQL result is the same unless it selects something that depends on who is asking.
So the first subscriber of a group executes the selection; the others get its result,
and the JSON of its ``data`` is encoded once for all their frames
(``app.web.sockets``).

A group is (the event, the operation, the variables its selection below the root field
uses, and the viewer if the selection reaches a field outside ``VIEWER_INDEPENDENT``).
The root field's own arguments (``conversationId``, ``after``) shape the feed, which was
authorized per subscriber when it started; they do not change how an event is shown.
A field added to these types later is viewer-dependent until listed here: sharing
stays correct by default (``tests/chat/test_shared_delivery.py`` checks the list against
the schema).

An event opts in by carrying a dict for the results (``shared_root``): the feed's
shared read gives one per message (``app.chat.delivery.Delivered.results``).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    visit,
)
from graphql.language import Visitor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (type, field) pairs whose value is the same for every subscriber allowed to see it.
VIEWER_INDEPENDENT: frozenset[tuple[str, str]] = frozenset(
    {
        ("Subscription", "messageAdded"),
        ("MessageEdge", "cursor"),
        ("MessageEdge", "node"),
        ("Message", "id"),
        ("Message", "text"),
        ("Message", "sentAt"),
        ("Message", "author"),
        ("Message", "cursor"),
        ("MessageAuthor", "role"),
        ("MessageAuthor", "displayName"),
    }
)

_SHARED = "_psyline_shared_results"
T = TypeVar("T")


def shared_root(root: T, results: dict[Any, Any]) -> T:
    """Mark a subscription event as shareable: executions of it are kept in ``results``
    (one dict per event, shared by everyone who receives that event object's data)."""
    object.__setattr__(root, _SHARED, results)
    return root


class Stats:
    """How many events were executed and how many were served from a group's result."""

    executed = 0
    shared = 0


class _Shape:
    """What an operation's selection below its root field depends on."""

    def __init__(self, independent: bool, variables: frozenset[str]) -> None:
        self.independent = independent
        self.variables = variables


def _shape(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> _Shape:
    root_type = schema.subscription_type
    assert root_type is not None
    independent = True
    variables: set[str] = set()
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode | None, parent: Any, depth: int) -> None:
        nonlocal independent
        if selection_set is None or depth > 64:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name == "__typename":
                    continue
                if depth > 0:  # below the root field: its arguments shape the output
                    variables.update(_variables_in(selection.arguments or ()))
                if not isinstance(parent, GraphQLObjectType) or name not in parent.fields:
                    independent = False
                    continue
                if (parent.name, name) not in VIEWER_INDEPENDENT:
                    independent = False
                walk(selection.selection_set, get_named_type(parent.fields[name].type), depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = schema.get_type(selection.type_condition.name.value)
                walk(selection.selection_set, target, depth)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    continue
                seen.add(name)
                walk(
                    fragment.selection_set,
                    schema.get_type(fragment.type_condition.name.value),
                    depth,
                )
            variables.update(_variables_in(getattr(selection, "directives", None) or ()))

    walk(operation.selection_set, root_type, 0)
    return _Shape(independent, frozenset(variables))


def _variables_in(nodes: Iterable[Any]) -> set[str]:
    found: set[str] = set()

    class Collect(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            found.add(node.name.value)

    for node in nodes:
        visit(node, Collect())
    return found


_shapes: OrderedDict[int, tuple[OperationDefinitionNode, _Shape]] = OrderedDict()
_encoded: OrderedDict[int, tuple[object, list[str]]] = OrderedDict()
MEMO = 256  # operations and results remembered (each entry holds its object alive)


def _remember(memo: OrderedDict[int, Any], key: int, value: Any) -> None:
    memo[key] = value
    memo.move_to_end(key)
    while len(memo) > MEMO:
        memo.popitem(last=False)


def encoded_data(data: object, encode: Callable[[object], str | bytes]) -> str | None:
    """The JSON of a shared result's ``data``, encoded by the first frame that sends it
    (None: not a shared result, encode it yourself)."""
    entry = _encoded.get(id(data))
    if entry is None or entry[0] is not data:
        return None
    if not entry[1]:
        encoded = encode(data)
        entry[1].append(encoded.decode() if isinstance(encoded, bytes) else encoded)
    return entry[1][0]


class SharingExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor; a shareable subscription event runs once per group."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        results = getattr(self.root_value, _SHARED, None)
        if results is None:
            return super().execute_operation(serially)
        key = self._group()
        entry = results.get(key)
        if entry is not None and entry[0] is self.operation:
            Stats.shared += 1
            return asyncio.shield(entry[1])  # a subscriber leaving cancels only its wait
        Stats.executed += 1
        task = asyncio.ensure_future(self._execute(serially))
        results[key] = (self.operation, task)
        return asyncio.shield(task)

    async def _execute(self, serially: bool | None) -> ExecutionResult:
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.data is not None and not result.errors:
            _remember(_encoded, id(result.data), (result.data, []))
        return result

    def _group(self) -> tuple[object, ...]:
        operation = self.operation
        entry = _shapes.get(id(operation))
        if entry is None or entry[0] is not operation:
            entry = (operation, _shape(self.schema, operation, self.fragment_definitions))
            _remember(_shapes, id(operation), entry)
        shape = entry[1]
        coerced = self.variable_values.coerced
        used = json.dumps(
            {name: coerced.get(name) for name in sorted(shape.variables)},
            sort_keys=True,
            default=str,
        )
        viewer: tuple[object, ...] = ()
        if not shape.independent:
            who = getattr(self.context_value, "viewer", None)
            viewer = (getattr(who, "user_id", None), str(getattr(who, "role", None)))
        return (id(operation), used, viewer)
