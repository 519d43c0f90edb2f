"""The GraphQL surface: merges the domains into one ``strawberry.Schema``.

Each domain contributes its Query / Mutation / Subscription classes to the tuples
below; ``build_schema`` adds the security extensions the settings ask for. Nothing is
built at import: the app (``app.web.app.create_app``) and the CLI call ``build_schema``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.core.db import is_unavailable
from app.core.errors import PublicError, TopLevelCode
from app.core.messages import Msg, locale_of
from schema.audit.queries import AuditQuery
from schema.booking.mutations import BookingMutation
from schema.booking.queries import BookingQuery
from schema.booking.schedule import ScheduleMutation, ScheduleQuery
from schema.booking.types import Booking
from schema.catalogue.admin import CatalogueAdminMutation
from schema.catalogue.mutations import VettingMutation
from schema.catalogue.queries import CatalogueQuery
from schema.catalogue.types import Method, Psychologist, Review, Service, Topic
from schema.catalogue.vetting import VettingQuery
from schema.chat.mutations import ChatMutation
from schema.chat.queries import ChatQuery
from schema.chat.subscriptions import ChatSubscription
from schema.chat.types import CareConversation, Message
from schema.checkup.mutations import CheckupMutation
from schema.checkup.queries import CheckupQuery
from schema.checkup.types import CheckupResult
from schema.common import SCALAR_OVERRIDES
from schema.cost import DEFAULT_BUDGET, Budget, RequestLimits
from schema.executor import PsylineExecutor
from schema.identity.mutations import IdentityMutation
from schema.identity.queries import IdentityQuery
from schema.kpi.queries import KpiQuery
from schema.notify.mutations import NotifyMutation
from schema.root import NodeQuery
from schema.usage import CountDeprecatedUsage

MAX_TOKENS = 5000  # tokens of one document, refused while parsing
QUERIES: tuple[type, ...] = (
    NodeQuery,
    IdentityQuery,
    CatalogueQuery,
    ChatQuery,
    BookingQuery,
    ScheduleQuery,
    CheckupQuery,
    AuditQuery,
    KpiQuery,
    VettingQuery,
)
MUTATIONS: tuple[type, ...] = (
    IdentityMutation,
    ChatMutation,
    BookingMutation,
    ScheduleMutation,
    CheckupMutation,
    NotifyMutation,
    CatalogueAdminMutation,
    VettingMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (ChatSubscription,)
# Node implementations that no field returns directly must still be in the schema.
EXTRA_TYPES: tuple[type, ...] = (
    Psychologist,
    Method,
    Topic,
    Service,
    Review,
    CareConversation,
    Message,
    Booking,
    CheckupResult,
)


class PublicErrors(MaskErrors):
    """Masks unexpected errors and gives ours their ``extensions.code`` (HTTP and WebSocket).
    Without introspection it also drops graphql-core's "Did you mean ...?" suggestions,
    which would otherwise let a tool recover the schema field by field."""

    def __init__(self, *, suggestions: bool) -> None:
        super().__init__(should_mask_error=_should_mask)
        self.suggestions = suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        locale = locale_of(self.execution_context.context)
        self.error_message = Msg.INTERNAL_SERVER_ERROR.render(locale)  # what masking says
        for error in errors:
            if not self.suggestions:
                error.message = _SUGGESTION.sub("", error.message)
            variable = _invalid_variable(error)
            if variable is not None:
                _shorten_variable_error(error, variable)
            elif is_unavailable(error.original_error):
                error.message = Msg.UNAVAILABLE.render(locale)
                error.extensions = {"code": TopLevelCode.UNAVAILABLE.value}
            elif isinstance(error.original_error, PublicError):
                error.message = error.original_error.render(locale)
                error.extensions = {
                    **(error.extensions or {}),
                    **error.original_error.extensions,
                    "code": error.original_error.code.value,
                }
        return super()._process_errors(errors)


_SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.S)
_INVALID_VARIABLE = re.compile(r"^Variable '\$(\w+)' (?:got|has) (?:an )?invalid value")
MAX_ERROR_MESSAGE = 200


def _invalid_variable(error: GraphQLError) -> str | None:
    """The variable's name, if this is graphql-core refusing a variable's value (before
    execution: a scalar's parser raised, perhaps quoting the value)."""
    match = _INVALID_VARIABLE.match(error.message) if error.path is None else None
    return match.group(1) if match else None


def _shorten_variable_error(error: GraphQLError, variable: str) -> None:
    """A BAD_USER_INPUT that quotes at most a short value (never a megabyte back)."""
    if len(error.message) > MAX_ERROR_MESSAGE or not (
        error.original_error is None or isinstance(error.original_error, GraphQLError)
    ):  # long, or our scalar's own exception: its text may hold anything
        error.message = f"Variable '${variable}' got an invalid value."
    error.extensions = {**(error.extensions or {}), "code": TopLevelCode.BAD_USER_INPUT.value}


def _should_mask(error: GraphQLError) -> bool:
    """Mask everything but our public errors and GraphQL's own (syntax, validation,
    invalid variable values)."""
    original = error.original_error
    if original is None or _invalid_variable(error) is not None or is_unavailable(original):
        return False
    if isinstance(original, PublicError):
        return False
    return not (isinstance(original, GraphQLError) and (original.extensions or {}).get("code"))


log = logging.getLogger("psyline.graphql")


class PsylineSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback; expected ones as one quiet line.

    Expected errors (ours, parse and validation errors) are logged by code and path
    only: graphql-core's messages can quote variable values (tokens, phone numbers).
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_unavailable(error.original_error):
                log.warning(
                    "database unavailable at %s: %s",
                    error.path,
                    type(error.original_error).__name__,
                )
            elif _should_mask(error):
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)
            else:
                original = error.original_error
                code = (
                    original.code.value
                    if isinstance(original, PublicError)
                    else (error.extensions or {}).get("code", "GRAPHQL_INVALID")
                )
                log.info("request refused: %s at %s", code, error.path)


def _extensions(*, introspection: bool, max_depth: int, budget: Budget) -> list[Callable[[], Any]]:
    rules: list[type[ASTValidationRule]] = [alias_rule(30), depth_rule(max_depth, None)]
    exts: list[Callable[[], Any]] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        # The alias and depth rules are built once per schema: strawberry's limiters build
        # new rule classes per request, and the validation cache (keyed by the rules) would
        # never hit.
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=256),
        # Size before validation (cached), cost before execution: schema.cost.
        lambda: RequestLimits(budget),
        CountDeprecatedUsage,  # per operation and client (schema.usage)
        lambda: PublicErrors(suggestions=introspection),
    ]
    if not introspection:
        exts.append(DisableIntrospection)
    return exts


def _merge(name: str, parts: Sequence[type]) -> type | None:
    return merge_types(name, tuple(parts)) if parts else None


def build_schema(
    *, introspection: bool = True, max_depth: int = 12, budget: Budget = DEFAULT_BUDGET
) -> strawberry.Schema:
    return PsylineSchema(
        query=_merge("Query", QUERIES),  # type: ignore[arg-type]
        mutation=_merge("Mutation", MUTATIONS),
        subscription=_merge("Subscription", SUBSCRIPTIONS),
        types=EXTRA_TYPES,
        extensions=_extensions(introspection=introspection, max_depth=max_depth, budget=budget),
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=PsylineExecutor,  # schema.executor
    )
