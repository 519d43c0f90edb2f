"""``python -m app documents add FILE... | list``: the trusted documents (app.web.documents)."""

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


def register(subparsers: Any) -> None:
    documents = subparsers.add_parser("documents", help="trusted documents (operations apps send)")
    dsub = documents.add_subparsers(dest="documents_command", required=True)
    p = dsub.add_parser("add", help="register .graphql files or Apollo persisted query manifests")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_documents_add)
    p = dsub.add_parser("list", help="hash, type, name and source of every registered document")
    p.set_defaults(func=cmd_documents_list)
