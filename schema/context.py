"""The per-request context: settings, the viewer and the request's dataloaders.

``Loader`` is the base of every dataloader (one SQL statement per batch, results aligned
with keys); ``Loaders`` creates them on first use, per context.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiodataloader import DataLoader
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as _Info

from app.chat.runtime import ChatRuntime
from app.core.errors import AuthError, RateLimited
from app.core.messages import Locale, Msg, negotiate
from app.core.net import client_ip
from app.core.settings import Settings
from app.identity.authenticate import authenticate
from app.identity.viewer import Viewer
from app.runtime import Runtime

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    def __init__(self, context: Context) -> None:
        super().__init__(max_batch_size=1000)
        self.context = context

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        return await self.load_batch(keys)

    async def load_batch(self, keys: list[K]) -> list[V]:  # pragma: no cover - abstract
        raise NotImplementedError


L = TypeVar("L", bound=Loader[Any, Any])


class Loaders:
    """Per-request DataLoaders, created on first use: ``ctx.loaders[MethodsByPsychologist]``.

    aiodataloader binds to the running loop and caches per instance, so loaders
    must never outlive a request (or a subscription event).
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self._loaders: dict[type[Loader[Any, Any]], Loader[Any, Any]] = {}

    def __getitem__(self, loader_cls: type[L]) -> L:
        loader = self._loaders.get(loader_cls)
        if loader is None:
            loader = loader_cls(self._context)
            self._loaders[loader_cls] = loader
        return loader  # type: ignore[return-value]

    def clear(self) -> None:
        self._loaders.clear()


@dataclass
class Context:
    """One per HTTP request and per socket operation (``for_operation``); a subscription
    clears its loaders per event. The socket's own context holds its ``connectionParams``."""

    settings: Settings
    runtime: Runtime
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    viewer: Viewer | None = None
    auth_error: AuthError | None = None
    # The WebSocket ``connection_init`` payload (strawberry sets it when the attribute exists).
    connection_params: dict[str, Any] = field(default_factory=dict)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    async def authorize(self, authorization: str | None) -> Context:
        """Authenticate a Bearer header as this context's viewer (or keep why not)."""
        try:
            self.viewer = await authenticate(self.settings, authorization)
        except AuthError as exc:
            self.auth_error = exc
        return self

    def for_operation(self) -> Context:
        """A fresh context (no viewer yet, empty loaders) on the same connection."""
        return Context(
            settings=self.settings,
            runtime=self.runtime,
            request=self.request,
            response=self.response,
            connection_params=self.connection_params,
        )

    @property
    def connection_authorization(self) -> str | None:
        """``Authorization`` of the ``connection_init`` payload (its key in any case)."""
        params = self.connection_params if isinstance(self.connection_params, dict) else {}
        value = next(
            (v for k, v in params.items() if isinstance(k, str) and k.lower() == "authorization"),
            None,
        )
        return value if isinstance(value, str) and value else None

    @property
    def locale(self) -> Locale:
        """The caller's language for messages: ``connectionParams.locale`` on a socket, else
        ``Accept-Language``, else Russian (``app.core.messages.negotiate``)."""
        request = self.request
        params = self.connection_params if isinstance(self.connection_params, dict) else {}
        header = request.headers.get("accept-language") if request is not None else None
        return negotiate(header, params.get("locale"))

    def absolute_url(self, path: str) -> str:
        """``path`` (``/avatars/...``) under PUBLIC_BASE_URL, never the Host header in
        production; without the setting, under the request's own base (http(s) also on a
        WebSocket); as it is without either."""
        if self.settings.public_base_url:
            return self.settings.public_base_url + path
        request = self.request
        if request is None:
            return path
        base = request.base_url  # ws(s):// on a WebSocket: links open over http(s)
        scheme = {"ws": "http", "wss": "https"}.get(base.scheme, base.scheme)
        return str(base.replace(scheme=scheme)).rstrip("/") + path

    @property
    def client_ip(self) -> str:
        """The caller's IP address (``app.core.net``: proxies in TRUSTED_PROXIES honoured)."""
        request = self.request
        if request is None:
            return "unknown"
        peer = request.client.host if request.client else None
        forwarded = request.headers.get("x-forwarded-for")
        return client_ip(peer, forwarded, self.settings.trusted_proxies)

    async def throttle(self, *limits: tuple[str, object]) -> None:
        """Count one attempt against each ``(rule, key)``; RATE_LIMITED if one is spent."""
        for rule, key in limits:
            retry_after = await self.runtime.limits.hit(rule, str(key))
            if retry_after is not None:
                raise RateLimited(retry_after)

    @property
    def chat(self) -> ChatRuntime:
        return self.runtime.chat

    def require_viewer(self) -> Viewer:
        """The signed-in viewer, or a top-level UNAUTHENTICATED error."""
        if self.auth_error is not None:
            raise self.auth_error
        if self.viewer is None:
            raise AuthError(Msg.UNAUTHENTICATED)
        return self.viewer


Info = _Info[Context, None]
