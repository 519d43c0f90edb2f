"""The client contract, shipped with the service: the operations our clients send.

``mobile.graphql``, ``console.graphql`` and ``backoffice.graphql`` here are copies of
``../shared/contract/*.graphql`` (where the client teams keep them), byte for byte:
``tests/test_contract_copy.py`` fails as soon as the two differ. A checkout or an image
without the shared folder still has them: GraphiQL opens them as tabs and
``seed --demo`` registers them as trusted documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import FragmentDefinitionNode, OperationDefinitionNode, Source, parse

from app.core.operations import fragments_used

CONTRACT_DIR = Path(__file__).resolve().parent
FILES = ("mobile.graphql", "console.graphql", "backoffice.graphql")


@dataclass(frozen=True)
class ContractOperation:
    name: str
    kind: str  # query, mutation, subscription
    file: str
    text: str  # as written, with the comment lines just above it and its fragments


def contract_files() -> list[Path]:
    return [CONTRACT_DIR / name for name in FILES]


def _leading_comments(text: str, start: int) -> str:
    """The comment lines right above ``start`` (no blank line between), as written."""
    lines = text[:start].rstrip("\n").split("\n")
    kept: list[str] = []
    for line in reversed(lines):
        if not line.startswith("#"):
            break
        kept.append(line)
    return "".join(f"{line}\n" for line in reversed(kept))


def operations_of(path: Path) -> list[ContractOperation]:
    """Every named operation of one contract file, verbatim (formatting and comments kept:
    they are the contract's documentation), each followed by the fragments it spreads."""
    text = path.read_text(encoding="utf-8")
    document = parse(Source(text, path.name))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def written(node: OperationDefinitionNode | FragmentDefinitionNode) -> str:
        assert node.loc is not None  # parsed with locations
        return text[node.loc.start : node.loc.end]

    found = []
    for d in document.definitions:
        if not isinstance(d, OperationDefinitionNode) or d.name is None or d.loc is None:
            continue
        used = [written(f) for f in fragments_used(d, fragments)]
        found.append(
            ContractOperation(
                name=d.name.value,
                kind=d.operation.value,
                file=path.name,
                text="\n\n".join([_leading_comments(text, d.loc.start) + written(d), *used]) + "\n",
            )
        )
    return found


def contract_operations() -> list[ContractOperation]:
    return [op for path in contract_files() for op in operations_of(path)]
