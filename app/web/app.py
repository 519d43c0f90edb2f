"""The ASGI application: ``create_app(settings)`` builds it; ``app`` is the default instance."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from app.core.db import (
    close_db,
    is_unavailable,
    open_db,
    require_migrations_applied,
)
from app.core.errors import TopLevelCode, public_graphql_error
from app.core.heap import freeze_startup_heap
from app.core.logging import configure_logging
from app.core.messages import Msg
from app.core.persisted import resolve as resolve_persisted
from app.core.settings import Settings, SettingsError, load_settings, refuse
from app.core.text import first_text_problem
from app.runtime import Runtime, open_runtime
from app.web.avatars import avatar
from app.web.caching import Conditional, StaticAssets
from app.web.calendar import ROUTE as CALENDAR_ROUTE
from app.web.calendar import calendar
from app.web.compression import Compression
from app.web.console import console_routes
from app.web.demo_sign_in import demo_routes, demo_sign_in_enabled
from app.web.dialect import (
    CHARSET,
    JSON,
    OPTIONAL_GET_PARAMETERS,
    HTTPRefusal,
    check_request,
    is_request_error,
    refusal_response,
    response_status,
)
from app.web.documents import trusted_text
from app.web.edge import Edge
from app.web.graphiql_tabs import Tab, contract_tabs, graphiql_tabs
from app.web.health import Readiness, healthz, readyz_endpoint
from app.web.limits import BodyLimit, timed_out
from app.web.sockets import LimitedWebSocketAdapter, PsylineTransportWS
from schema import build_schema
from schema.context import Context
from schema.cost import MAX_REPEATS, Budget

log = logging.getLogger("psyline")
STATIC_DIR = Path(__file__).resolve().parent / "static"


class BadJSON(json.JSONDecodeError):
    """JSON we refuse to read; ``msg`` says why (never quoting the input)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)


def json_text(data: object) -> str:
    """Compact JSON with text as UTF-8, not ``\\uXXXX`` escapes: Cyrillic is 2 bytes
    instead of 6 (HTTP bodies and WebSocket frames alike). A lone surrogate cannot be
    UTF-8 (HTTP refuses one in a request, but a value may come from elsewhere): then the
    escaped form, so an answer never fails to encode."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":"))
    return text


class PsylineGraphQL(GraphQL[Context, None]):
    """One endpoint for POST, GET (queries only) and WebSocket (graphql-transport-ws,
    each operation authorized as it starts: ``app.web.sockets``). Over HTTP it speaks
    GraphQL over HTTP as ``app.web.dialect`` describes (media types, status codes)."""

    graphql_transport_ws_handler_class = PsylineTransportWS
    websocket_adapter_class = LimitedWebSocketAdapter

    def __init__(self, settings: Settings) -> None:
        schema = build_schema(
            introspection=settings.introspection,
            max_depth=settings.max_query_depth,
            budget=Budget(
                cost=settings.query_cost_budget,
                max_selections=settings.max_selections,
                max_repeats=MAX_REPEATS,
                default_maximum=settings.max_page_size,
            ),
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=20,
            allowed_origins=settings.allowed_origins,
        )
        self.settings = settings
        self._graphql_schema = schema._schema
        self._contract_tabs: list[Tab] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's, with the method and media types checked before anything else
        (no session lookup for a request that cannot be answered) and every refusal
        answered as JSON (``app.web.dialect``)."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            if not (request.method == "GET" and self.should_render_graphql_ide(request)):
                request.state.media_type = check_request(request.method, request.headers)
            response = await self.run(request)
        except HTTPException as exc:
            response = refusal_response(exc)
        await response(scope, receive, send)

    def encode_json(self, data: object) -> str:
        return json_text(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # The media type the answer will have (create_response); refused before if none.
        sub_response.media_type = getattr(request.state, "media_type", None) or JSON
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The media type negotiated, with its charset, and the status it calls for."""
        media = sub_response.media_type or JSON
        assert isinstance(response_data, dict)  # no batching (strawberry refuses it: 400)
        response = Response(
            self.encode_json(response_data),
            status_code=response_status(media, response_data, sub_response.status_code),
            media_type=media + CHARSET,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """A request error (nothing executed) has no ``data`` entry (GraphQL spec,
        "Response Format"; strawberry sends ``null``)."""
        response_data = await super().process_result(request, result)
        if is_request_error(result.data, result.errors):
            response_data.pop("data", None)
        return response_data

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's optional parameters given as the empty string are not given."""
        return super().parse_query_params(
            {
                name: value
                for name, value in dict(params).items()
                if not (name in OPTIONAL_GET_PARAMETERS and value == "")
            }
        )

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's, refusing an ``operationName`` that is not a string (400)."""
        request_data = await super().parse_http_body(request)
        if isinstance(request_data, GraphQLRequestData) and not isinstance(
            request_data.operation_name, str | None
        ):
            raise HTTPRefusal(400, "The GraphQL operation's `operationName` must be a string.")
        return request_data

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        runtime: Runtime = request.app.state.runtime  # opened by the lifespan
        ctx = Context(settings=self.settings, runtime=runtime, request=request, response=response)
        if isinstance(request, WebSocket):
            return ctx  # the connection's: on_ws_connect authenticates it, each operation anew
        try:
            return await ctx.authorize(request.headers.get("authorization"))
        except Exception as exc:  # the session lookup could not reach the database
            if is_unavailable(exc):
                log.warning("database unavailable while authenticating: %s", type(exc).__name__)
                raise HTTPException(503, Msg.UNAVAILABLE.render(ctx.locale)) from None
            raise

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate the socket from ``connection_init``; reject (close 4403) before ack.

        The payload carries ``{"Authorization": "Bearer <access token>"}`` (the key is
        matched case-insensitively). Missing or invalid credentials close the socket.
        """
        await context.authorize(context.connection_authorization)
        if context.viewer is None:
            raise ConnectionRejectionError({"code": TopLevelCode.UNAUTHENTICATED.value})
        return UNSET  # type: ignore[no-any-return]  # strawberry declares UNSET as Any

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: Any,
    ) -> ExecutionResult:
        """Strawberry's, with automatic persisted queries (``app.core.persisted``) and
        within ``OPERATION_TIMEOUT_SECONDS`` (then a TIMEOUT error)."""
        if self.settings.trusted_documents_only:  # registered documents only (app.web.documents)
            extension = (request_data.extensions or {}).get("persistedQuery")
            digest = extension.get("sha256Hash") if isinstance(extension, dict) else None
            trusted = await trusted_text(
                request_data.query, digest if isinstance(digest, str) else None, context.locale
            )
            if isinstance(trusted, GraphQLError):
                return ExecutionResult(data=None, errors=[trusted])
            request_data = dataclasses.replace(request_data, query=trusted)
            persisted = None
        else:
            persisted = await resolve_persisted(
                context.runtime.persisted, request_data.query, request_data.extensions
            )
        if persisted is not None:
            if persisted.error is not None:
                message, code = persisted.error
                return ExecutionResult(
                    data=None, errors=[public_graphql_error(message, code, context.locale)]
                )
            request_data = dataclasses.replace(request_data, query=persisted.query)
        limit = self.settings.operation_timeout_seconds
        try:
            async with asyncio.timeout(limit) as deadline:
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except HTTPException as exc:
            cause = exc.__cause__  # strawberry's 400 for a mutation over GET: 405
            if (
                isinstance(cause, InvalidOperationTypeError)
                and cause.operation_type == OperationType.MUTATION
            ):
                raise HTTPRefusal(405, exc.reason, {"Allow": "POST"}) from cause
            raise
        except TimeoutError:
            if not deadline.expired():
                raise
            log.warning("operation stopped after %.1f s", limit)
            return ExecutionResult(data=None, errors=[timed_out(limit, context.locale)])
        if any(
            (e.extensions or {}).get("code") == TopLevelCode.UNAVAILABLE
            for e in result.errors or ()
        ):
            sub_response.status_code = 503  # the database is away: retry
        if self._public(request, result):
            sub_response.headers["cache-control"] = (
                f"public, max-age={self.settings.public_cache_seconds}"
            )
            # The answer depends on these (dialect, coding, language of the messages);
            # CORSMiddleware adds Origin when it answers for a list of origins.
            sub_response.headers["vary"] = "Accept, Accept-Encoding, Accept-Language"
        return result

    def _public(self, request: Request, result: ExecutionResult) -> bool:
        """May shared caches keep this answer? Only a GET (never a mutation: strawberry
        refuses those over GET) without credentials, answered without any error. The
        rest keeps ``no-store`` (app.web.edge). The ETag and 304: app.web.caching."""
        return (
            self.settings.public_cache_seconds > 0
            and request.method == "GET"
            and "authorization" not in request.headers
            and not result.errors
        )

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET that carries a persisted query (``extensions`` without ``query``)."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON: UTF-8, bounded nesting, no NUL or lone surrogate in any string.
        (WebSocket frames come through here too: a refusal closes them with 4400.)"""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            value = json.loads(text)
        except UnicodeDecodeError:
            raise BadJSON("The body must be UTF-8.") from None
        except RecursionError:
            raise BadJSON("The JSON is nested too deeply.") from None
        problem = first_text_problem(value)
        if problem is not None:
            raise BadJSON(problem)
        return value

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = self.decode_json(data)
        except BadJSON as exc:
            raise HTTPException(400, exc.msg) from None
        except json.JSONDecodeError:
            raise HTTPException(400, "The body is not valid JSON.") from None
        if not isinstance(value, dict):
            raise HTTPException(400, 'The body must be a JSON object: {"query": "..."}.')
        return value

    async def render_graphql_ide(self, request: Request) -> Response:
        from app.web.graphiql import render_graphiql

        if self._contract_tabs is None:  # validating the contract takes a moment: once
            self._contract_tabs = contract_tabs(self._graphql_schema)
        tabs = await graphiql_tabs(self._contract_tabs)
        return render_graphiql(request, tabs, demo_sign_in=demo_sign_in_enabled(self.settings))


# What browser clients send besides the CORS-safelisted headers (Apollo adds its two).
CORS_HEADERS = (
    "authorization",
    "content-type",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-request-id",
)


def _cors(settings: Settings) -> list[Middleware]:
    """Browsers on the origins in ALLOWED_ORIGINS (exact, or ``*`` outside production) may
    call the API; without the setting only the same origin may (no CORS headers at all).
    The same list lets their WebSockets in (strawberry checks ``Origin``). No cookies are
    involved (the token travels in ``Authorization``), so no credentials mode."""
    if not settings.allowed_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(CORS_HEADERS),
            max_age=600,
        )
    ]


async def _check_migrations(settings: Settings) -> None:
    """Production refuses a database behind the code or away (``migrate`` is a separate
    step); elsewhere a warning (``dev.py run`` migrates before it serves)."""
    try:
        await require_migrations_applied()
    except SettingsError as exc:
        if settings.is_production:
            raise
        log.warning("%s", exc)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Starlette:
    """The ASGI app. Its lifespan opens the database and the runtime; an app given
    ``runtime`` (a second app over an already open process, in tests) uses that instead
    and needs no lifespan."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_db(settings)
        try:
            await _check_migrations(settings)
            # Chat pub/sub (Redis with REDIS_URL), limiter, SLA watcher; caches.
            async with open_runtime(settings) as runtime:
                app.state.runtime = runtime
                if settings.env != "test":  # the suite counts objects and leaks itself
                    freeze_startup_heap()
                yield
        finally:
            await close_db()

    graphql = PsylineGraphQL(settings)
    static = StaticAssets(STATIC_DIR, StaticFiles(directory=STATIC_DIR, check_dir=False))
    routes = [
        Route("/graphql", graphql),  # every method: the view answers 405 with Allow itself
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz_endpoint(Readiness())),  # app.web.health
        *console_routes(),  # the care team's web console (app/web/static/console)
        *demo_routes(settings),  # GraphiQL's demo sign-in: development only, else absent
        Route("/avatars/{slug}.svg", avatar),  # placeholder photos (app/web/avatars.py)
        Route(CALENDAR_ROUTE, calendar, methods=["GET"]),  # a booking's .ics (app/web/calendar.py)
        # Content-hashed .js/.css (immutable, compressed once); the rest as plain files.
        Mount("/static", static, name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(Edge, hsts_seconds=settings.hsts_seconds),
            *_cors(settings),
            *(
                [Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))]
                if settings.allowed_hosts
                else []
            ),
            # Answers over 1 KB, brotli or gzip as the client prefers (app.web.compression);
            # WebSocket frames are not touched.
            Middleware(Compression),
            Middleware(Conditional),  # ETags and 304 for what may be revalidated
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        ],
    )
    app.state.settings = settings
    app.state.static = static  # its url() names the hashed assets the pages load
    if runtime is not None:
        app.state.runtime = runtime
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn app.web.app:app` builds the default instance on first access only.
    if name == "app":
        try:
            instance = create_app()
        except SettingsError as exc:
            refuse(exc)
        globals()["app"] = instance
        return instance
    raise AttributeError(name)
