"""Operation documents: which fragments an operation needs."""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    ExecutableDefinitionNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Visitor,
    visit,
)


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def fragments_used(
    definition: ExecutableDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments ``definition`` spreads, and those they spread, each once (by name,
    in the order found); unknown names are left to validation."""
    needed: dict[str, FragmentDefinitionNode] = {}
    pending: list[ExecutableDefinitionNode] = [definition]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in sorted(spreads.names - needed.keys()):
            if name in fragments:
                needed[name] = fragments[name]
                pending.append(fragments[name])
    return list(needed.values())
