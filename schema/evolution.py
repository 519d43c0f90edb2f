"""Schema evolution without breaking shipped apps.

Mobile apps stay installed for years: every operation a released app sends must keep
validating. ``schema/released.graphql`` is the schema of the last release; the live
schema may differ from it only by changes graphql-core calls safe or dangerous
(``find_breaking_changes`` / ``find_dangerous_changes``), unless a breaking one is listed
in ``schema/breaking_intended.txt`` on purpose. A test holds this in CI;
``python -m app schema-changes`` prints the differences and ``release-schema`` records a
new release.

A field (or enum value) leaves the schema only after a release in which it was
``@deprecated(reason: ...)`` and only when no registered document selects it
(``removal_problems``); until then its use is counted per operation and client
(``schema.usage``, ``python -m app deprecations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_named_type,
    parse,
    visit,
)

HERE = Path(__file__).resolve().parent
RELEASED = HERE / "released.graphql"
INTENDED = HERE / "breaking_intended.txt"


@dataclass(frozen=True)
class Changes:
    breaking: list[str]
    dangerous: list[str]
    intended: set[str]

    @property
    def unintended(self) -> list[str]:
        return [change for change in self.breaking if change not in self.intended]


def intended_breaking(path: Path = INTENDED) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def compare(released_sdl: str, live: GraphQLSchema, intended: set[str] | None = None) -> Changes:
    released = build_schema(released_sdl)
    return Changes(
        breaking=[f"{c.type.name} {c.description}" for c in find_breaking_changes(released, live)],
        dangerous=[
            f"{c.type.name} {c.description}" for c in find_dangerous_changes(released, live)
        ],
        intended=intended_breaking() if intended is None else intended,
    )


# ------------------------------------------------------------------ removing a field


def field_coordinates(schema: GraphQLSchema, document: DocumentNode) -> set[str]:
    """Every ``Type.field`` (and ``Enum.VALUE`` written as a literal) a document selects,
    as the schema resolves it (interfaces and fragments included)."""
    found: set[str] = set()
    info = TypeInfo(schema)

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = info.get_parent_type()
            if parent is not None and not node.name.value.startswith("__"):
                found.add(f"{parent.name}.{node.name.value}")

        def enter_enum_value(self, node: EnumValueNode, *_: object) -> None:
            named = get_named_type(info.get_input_type())
            if isinstance(named, GraphQLEnumType):
                found.add(f"{named.name}.{node.value}")

    visit(document, TypeInfoVisitor(info, Collect()))
    return found


def deprecated_coordinates(schema: GraphQLSchema) -> dict[str, str]:
    """``Type.field`` / ``Enum.VALUE`` -> its deprecation reason, for every deprecated one."""
    out: dict[str, str] = {}
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, fld in named.fields.items():
                if fld.deprecation_reason is not None:
                    out[f"{name}.{field_name}"] = fld.deprecation_reason
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                if value.deprecation_reason is not None:
                    out[f"{name}.{value_name}"] = value.deprecation_reason
    return out


def _members(schema: GraphQLSchema) -> set[str]:
    out: set[str] = set()
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            out.update(f"{name}.{f}" for f in named.fields)
        elif isinstance(named, GraphQLEnumType):
            out.update(f"{name}.{v}" for v in named.values)
    return out


def removal_problems(
    released_sdl: str, live: GraphQLSchema, documents: dict[str, str]
) -> list[str]:
    """Why a field (or enum value) gone from the live schema may not go yet: it was not
    ``@deprecated`` in the release, or a registered document (``name -> text``) still
    selects it. Applies to intended removals too: that is the point of the rule."""
    released = build_schema(released_sdl)
    removed = sorted(_members(released) - _members(live))
    if not removed:
        return []
    deprecated = deprecated_coordinates(released)
    used: dict[str, list[str]] = {}
    for name, text in sorted(documents.items()):
        try:
            coordinates = field_coordinates(released, parse(text))
        except GraphQLError:
            continue  # not a document of this schema: it cannot use the field
        for coordinate in coordinates:
            used.setdefault(coordinate, []).append(name)
    problems = []
    for coordinate in removed:
        if coordinate not in deprecated:
            problems.append(f"{coordinate} was removed without being @deprecated in a release")
        if coordinate in used:
            users = ", ".join(used[coordinate])
            problems.append(f"{coordinate} was removed while registered documents use it: {users}")
    return problems
