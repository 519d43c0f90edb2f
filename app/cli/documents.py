"""``python -m app documents add FILE... | list``: the trusted documents (app.web.documents);
``python -m app deprecations``: who still uses deprecated fields (app.core.usage)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.runner import run_with_db
from app.core.settings import Settings


def cmd_documents_add(args: argparse.Namespace) -> None:
    from app.web.documents import operations_of_file, register

    files = [Path(f) for f in args.files]
    try:
        found = [(f, operations_of_file(f)) for f in files]
    except (OSError, ValueError) as exc:  # a GraphQLError is a ValueError too
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    async def add(settings: Settings) -> str:
        lines = []
        for path, operations in found:
            added = await register(operations, path.name)
            lines.append(f"{path}: {len(operations)} operations, {added} new")
        return "\n".join(lines)

    print(run_with_db(add))


def cmd_documents_list(args: argparse.Namespace) -> None:
    from models.api import TrustedDocument

    async def listing(settings: Settings) -> str:
        rows = await TrustedDocument.all().order_by("source", "name")
        return "\n".join(f"{r.id}\t{r.operation}\t{r.name or '-'}\t{r.source}" for r in rows)

    print(run_with_db(listing))


def cmd_deprecations(args: argparse.Namespace) -> None:
    from models.api import DeprecatedFieldUsage
    from schema import build_schema
    from schema.evolution import deprecated_coordinates

    deprecated = deprecated_coordinates(build_schema()._schema)

    async def listing(settings: Settings) -> str:
        rows = await DeprecatedFieldUsage.all().order_by("coordinate", "-count")
        lines = [
            f"{r.coordinate}\t{r.operation_name or '-'}\t{r.client_name or '-'}\t{r.count}"
            f"\t{r.last_seen_at.isoformat()}"
            for r in rows
        ]
        used = {r.coordinate for r in rows}
        lines += [
            f"{c}\tunused\t(deprecated: {deprecated[c]})"
            for c in sorted(deprecated)
            if c not in used
        ]
        return "\n".join(lines) if lines else "no deprecated fields"

    print(run_with_db(listing))


def register(subparsers: Any) -> None:
    documents = subparsers.add_parser("documents", help="trusted documents (operations apps send)")
    dsub = documents.add_subparsers(dest="documents_command", required=True)
    p = dsub.add_parser("add", help="register .graphql files or Apollo persisted query manifests")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_documents_add)
    p = dsub.add_parser("list", help="hash, type, name and source of every registered document")
    p.set_defaults(func=cmd_documents_list)
    p = subparsers.add_parser(
        "deprecations",
        help="use of deprecated fields: field, operation, client, count, last seen",
    )
    p.set_defaults(func=cmd_deprecations)
