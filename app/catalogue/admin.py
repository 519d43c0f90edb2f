"""The admins' catalogue edits: psychologists' profiles, methods, topics, services and prices.

GraphQL-free: each function takes the acting ``Principal`` and plain values (IDs already
decoded: ``None`` stands for an ID that was not one of ours, reported as NOT_FOUND with
its field), so the GraphQL mutations (``schema.catalogue.admin``) and a command-line
importer share the same rules. Every change is one transaction with its audit row
(``app.audit.record``); a change that changes nothing writes nothing.

What the database holds: one service per kind per psychologist (a unique key: a racing
duplicate is refused like a checked one), unique method and topic slugs. Denormalised
sort keys (``price_from``, ``sort_price``) are recomputed in the same transaction
(``refresh_stats``), and the derived next free slots are marked stale by the services
table's triggers (``booking/0002``), so the catalogue shows a change at once.

A price applies to new bookings only: a booking stores the price it was made at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app import audit, policy
from app.catalogue.errors import CatalogueEditErrorCode as Code
from app.catalogue.service import refresh_stats
from app.core.errors import Refused
from app.core.messages import Msg, Text
from app.core.sql import lock_rows
from app.policy import Principal
from models.audit import AuditAction
from models.catalogue import Method, Psychologist, Service, Topic, search_key
from models.enums import ClientType, ServiceKind

MAX_PRICE = Decimal(1_000_000)
CENT = Decimal("0.01")
MIN_DURATION, MAX_DURATION, DURATION_STEP = 15, 240, 5
MAX_FULL_NAME = 160
MAX_BIO = 4000
MAX_PHOTO_URL = 500
AVATARS = "/avatars/"  # our own placeholder images (app.web)
MAX_LANGUAGES = 10
MAX_TAGS = 30  # methods or topics of one psychologist
MAX_SLUG = 64
MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_TITLE = 160
MAX_POSITION = 10_000
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANGUAGE = re.compile(r"[a-z]{2,3}")
_MULTILINE = frozenset("\n\t")

M = TypeVar("M", bound=Model)


# --- validation -------------------------------------------------------------------------


def _invalid(message: Msg | Text, field: str, code: Code = Code.INVALID_INPUT) -> Refused:
    return Refused(code, message, field)


def clean_text(
    value: str, field: str, *, limit: int, required: bool = True, multiline: bool = False
) -> str:
    """Trimmed text of at most ``limit`` characters, without control characters (a
    multi-line text keeps newlines and tabs); ``required``: not empty."""
    text = value.replace("\r\n", "\n").strip() if multiline else value.strip()
    if required and not text:
        raise _invalid(Msg.TEXT_REQUIRED, field)
    if len(text) > limit:
        raise _invalid(Msg.TEXT_TOO_LONG(limit=limit), field)
    for char in text:
        if multiline and char in _MULTILINE:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise _invalid(Msg.TEXT_CONTROL_CHARACTERS, field)
    return text


def clean_price(amount: Decimal, field: str = "amount") -> Decimal:
    """0 (a free checkup) to 1,000,000, at most two decimal places; as stored (x.yy)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise _invalid(Msg.PRICE_RANGE(max=MAX_PRICE), field, Code.INVALID_PRICE)
    if amount < 0 or amount > MAX_PRICE:
        raise _invalid(Msg.PRICE_RANGE(max=MAX_PRICE), field, Code.INVALID_PRICE)
    exact = amount.quantize(CENT)
    if exact != amount:
        raise _invalid(Msg.PRICE_DECIMALS, field, Code.INVALID_PRICE)
    return exact


def clean_duration(minutes: int, field: str = "durationMinutes") -> int:
    if not MIN_DURATION <= minutes <= MAX_DURATION or minutes % DURATION_STEP:
        raise _invalid(
            Msg.DURATION_RULE(min=MIN_DURATION, max=MAX_DURATION, step=DURATION_STEP),
            field,
            Code.INVALID_DURATION,
        )
    return minutes


def clean_slug(value: str, field: str = "slug") -> str:
    slug = value.strip()
    if not slug or len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        raise _invalid(Msg.SLUG_FORMAT(limit=MAX_SLUG), field)
    return slug


def clean_position(value: int, field: str = "position") -> int:
    if not 0 <= value <= MAX_POSITION:
        raise _invalid(Msg.POSITION_RANGE(max=MAX_POSITION), field)
    return value


def clean_photo_url(value: str, field: str = "photoUrl") -> str:
    """Empty (no photo), an https URL, or one of our avatars (``/avatars/...``); never a
    space or a backslash (``/\\host`` is another host to a browser)."""
    url = clean_text(value, field, limit=MAX_PHOTO_URL, required=False)
    if not url:
        return url
    if any(char.isspace() or char == "\\" for char in url):
        raise _invalid(Msg.PHOTO_URL_FORMAT, field)
    ours = url.startswith(AVATARS) and len(url) > len(AVATARS)
    https = url.startswith("https://") and len(url) > len("https://")
    if not (ours or https):
        raise _invalid(Msg.PHOTO_URL_FORMAT, field)
    return url


def clean_languages(values: Sequence[str], field: str = "languages") -> list[str]:
    """ISO 639 codes ("ru", "en"), lower case, each once, at most 10, in the given order."""
    if len(values) > MAX_LANGUAGES:
        raise _invalid(Msg.TOO_MANY_ITEMS(limit=MAX_LANGUAGES), field)
    out: list[str] = []
    for value in values:
        code = value.strip().lower()
        if not LANGUAGE.fullmatch(code):
            raise _invalid(Msg.LANGUAGE_CODE, field)
        if code not in out:
            out.append(code)
    if not out:
        raise _invalid(Msg.TEXT_REQUIRED, field)
    return out


def clean_client_types(values: Sequence[ClientType], field: str = "clientTypes") -> str:
    """At least one; stored as ``,ADULT,COUPLE,`` in the enum's order."""
    chosen = set(values)
    if not chosen:
        raise _invalid(Msg.TEXT_REQUIRED, field)
    return "," + ",".join(t.value for t in ClientType if t in chosen) + ","


def _ids(values: Sequence[int | None], field: str, missing: Msg) -> list[int]:
    if len(values) > MAX_TAGS:
        raise _invalid(Msg.TOO_MANY_ITEMS(limit=MAX_TAGS), field)
    out: list[int] = []
    for value in values:
        if value is None:
            raise Refused(Code.NOT_FOUND, missing, field)
        if value not in out:
            out.append(value)
    return out


# --- loading ----------------------------------------------------------------------------


async def _locked(model: type[M], pk: int | None, field: str, missing: Msg) -> M:
    """The row, locked for the rest of the transaction; NOT_FOUND (``field``) otherwise."""
    if pk is None:
        raise Refused(Code.NOT_FOUND, missing, field)
    rows = model.filter(id=pk)
    await lock_rows(rows)
    row = await rows.first()
    if row is None:
        raise Refused(Code.NOT_FOUND, missing, field)
    return row


def _price_of(value: Any) -> Decimal:
    return Decimal(value).quantize(CENT)


# --- psychologists ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileChanges:
    """A partial update of a profile: ``None`` leaves the field as it is. IDs decoded
    (``None`` inside a list: an ID that was not one of ours)."""

    full_name: str | None = None
    bio: str | None = None
    photo_url: str | None = None
    languages: Sequence[str] | None = None
    client_types: Sequence[ClientType] | None = None
    method_ids: Sequence[int | None] | None = None
    topic_ids: Sequence[int | None] | None = None


def _profile_values(changes: ProfileChanges) -> dict[str, Any]:
    """Model column -> validated new value, for the fields the change names."""
    values: dict[str, Any] = {}
    if changes.full_name is not None:
        values["full_name"] = clean_text(changes.full_name, "fullName", limit=MAX_FULL_NAME)
    if changes.bio is not None:
        values["bio"] = clean_text(
            changes.bio, "bio", limit=MAX_BIO, required=False, multiline=True
        )
    if changes.photo_url is not None:
        values["photo_url"] = clean_photo_url(changes.photo_url)
    if changes.languages is not None:
        values["languages"] = clean_languages(changes.languages)
    if changes.client_types is not None:
        values["client_types_csv"] = clean_client_types(changes.client_types)
    return values


# Model column -> the name the audit log (and the API) gives it.
_PROFILE_FIELDS = {
    "full_name": "fullName",
    "bio": "bio",
    "photo_url": "photoUrl",
    "languages": "languages",
    "client_types_csv": "clientTypes",
}


def _client_types_of(csv: str) -> list[str]:
    return [v for v in csv.strip(",").split(",") if v]


async def _set_tags(
    p: Psychologist, model: type[Method] | type[Topic], ids: list[int], field: str, missing: Msg
) -> tuple[list[str], list[str]] | None:
    """Replace the psychologist's methods (or topics) by ``ids``: (slugs before, after),
    or None when nothing changes."""
    relation = p.methods if model is Method else p.topics
    current = sorted(str(slug) for slug in await relation.all().values_list("slug", flat=True))
    rows = await model.filter(id__in=ids) if ids else []
    if len(rows) != len(ids):
        raise Refused(Code.NOT_FOUND, missing, field)
    wanted = sorted(r.slug for r in rows)
    if wanted == current:
        return None
    await relation.clear()
    if rows:
        await relation.add(*rows)
    return current, wanted


async def update_psychologist(
    who: Principal, psychologist_id: int | None, changes: ProfileChanges
) -> Psychologist:
    """Edit a profile (name, bio, photo, languages, client types, methods, topics); the
    vetting status and the practice are not touched here."""
    policy.require_edit_catalogue(who)
    values = _profile_values(changes)
    method_ids = (
        _ids(changes.method_ids, "methodIds", Msg.NO_SUCH_METHOD)
        if changes.method_ids is not None
        else None
    )
    topic_ids = (
        _ids(changes.topic_ids, "topicIds", Msg.NO_SUCH_TOPIC)
        if changes.topic_ids is not None
        else None
    )
    async with in_transaction():
        p = await _locked(Psychologist, psychologist_id, "psychologistId", Msg.NO_SUCH_PSYCHOLOGIST)
        before = {column: getattr(p, column) for column in values}
        diff = {
            _PROFILE_FIELDS[column]: pair for column, pair in audit.diff(before, values).items()
        }
        if "clientTypes" in diff:
            diff["clientTypes"] = [
                _client_types_of(p.client_types_csv),
                _client_types_of(values["client_types_csv"]),
            ]
        if method_ids is not None:
            moved = await _set_tags(p, Method, method_ids, "methodIds", Msg.NO_SUCH_METHOD)
            if moved is not None:
                diff["methods"] = list(moved)
        if topic_ids is not None:
            moved = await _set_tags(p, Topic, topic_ids, "topicIds", Msg.NO_SUCH_TOPIC)
            if moved is not None:
                diff["topics"] = list(moved)
        changed = {
            column: value for column, value in values.items() if _PROFILE_FIELDS[column] in diff
        }
        if "full_name" in changed:
            changed["search_name"] = search_key(changed["full_name"])
        if changed:
            await Psychologist.filter(id=p.id).update(**changed)
            for column, value in changed.items():
                setattr(p, column, value)
        if diff:
            await audit.record(who, AuditAction.PSYCHOLOGIST_UPDATED, "Psychologist", p.id, diff)
    return p


# --- methods and topics -----------------------------------------------------------------


async def _slug_free(model: type[Method] | type[Topic], slug: str, own_id: int | None) -> None:
    taken = model.filter(slug=slug)
    if own_id is not None:
        taken = taken.exclude(id=own_id)
    if await taken.exists():
        raise Refused(Code.SLUG_TAKEN, Msg.SLUG_TAKEN, "slug")


def _tag_values(
    *,
    slug: str | None,
    name: str | None,
    position: int | None,
    description: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if slug is not None:
        values["slug"] = clean_slug(slug)
    if name is not None:
        values["name"] = clean_text(name, "name", limit=MAX_NAME)
    if description is not None:
        values["description"] = clean_text(
            description, "description", limit=MAX_DESCRIPTION, required=False, multiline=True
        )
    if position is not None:
        values["position"] = clean_position(position)
    return values


async def _create_tag(
    who: Principal,
    model: type[M],
    action: AuditAction,
    values: dict[str, Any],
) -> M:
    try:
        async with in_transaction():
            await _slug_free(model, values["slug"], None)  # type: ignore[arg-type]
            row = await model.create(**values)
            diff = {name: [None, value] for name, value in values.items()}
            await audit.record(who, action, model.__name__, row.pk, diff)
    except IntegrityError as exc:  # the same slug, created at the same moment
        raise Refused(Code.SLUG_TAKEN, Msg.SLUG_TAKEN, "slug") from exc
    return row


async def _update_tag(
    who: Principal,
    model: type[M],
    pk: int | None,
    field: str,
    missing: Msg,
    action: AuditAction,
    values: dict[str, Any],
) -> M:
    try:
        async with in_transaction():
            row = await _locked(model, pk, field, missing)
            diff = audit.diff({name: getattr(row, name) for name in values}, values)
            if "slug" in diff:
                await _slug_free(model, values["slug"], row.pk)  # type: ignore[arg-type]
            if diff:
                changed = {name: values[name] for name in diff}
                await model.filter(id=row.pk).update(**changed)
                for name, value in changed.items():
                    setattr(row, name, value)
                await audit.record(who, action, model.__name__, row.pk, diff)
    except IntegrityError as exc:
        raise Refused(Code.SLUG_TAKEN, Msg.SLUG_TAKEN, "slug") from exc
    return row


async def create_method(
    who: Principal, slug: str, name: str, description: str = "", position: int = 0
) -> Method:
    policy.require_edit_catalogue(who)
    values = _tag_values(slug=slug, name=name, description=description, position=position)
    return await _create_tag(who, Method, AuditAction.METHOD_CREATED, values)


async def update_method(
    who: Principal,
    method_id: int | None,
    *,
    slug: str | None = None,
    name: str | None = None,
    description: str | None = None,
    position: int | None = None,
) -> Method:
    policy.require_edit_catalogue(who)
    values = _tag_values(slug=slug, name=name, description=description, position=position)
    return await _update_tag(
        who, Method, method_id, "methodId", Msg.NO_SUCH_METHOD, AuditAction.METHOD_UPDATED, values
    )


async def create_topic(who: Principal, slug: str, name: str, position: int = 0) -> Topic:
    policy.require_edit_catalogue(who)
    values = _tag_values(slug=slug, name=name, position=position)
    return await _create_tag(who, Topic, AuditAction.TOPIC_CREATED, values)


async def update_topic(
    who: Principal,
    topic_id: int | None,
    *,
    slug: str | None = None,
    name: str | None = None,
    position: int | None = None,
) -> Topic:
    policy.require_edit_catalogue(who)
    values = _tag_values(slug=slug, name=name, position=position)
    return await _update_tag(
        who, Topic, topic_id, "topicId", Msg.NO_SUCH_TOPIC, AuditAction.TOPIC_UPDATED, values
    )


# --- services and prices ----------------------------------------------------------------


def _kind_taken() -> Refused:
    return Refused(Code.SERVICE_KIND_TAKEN, Msg.SERVICE_KIND_TAKEN, "kind")


async def create_service(
    who: Principal,
    psychologist_id: int | None,
    kind: ServiceKind,
    title: str,
    duration_minutes: int,
    price: Decimal,
) -> Service:
    """A new service of a kind the psychologist does not offer yet (one per kind)."""
    policy.require_edit_catalogue(who)
    values: dict[str, Any] = {
        "kind": ServiceKind(kind),
        "title": clean_text(title, "title", limit=MAX_TITLE),
        "duration_minutes": clean_duration(duration_minutes),
        "price": clean_price(price, "price"),
    }
    try:
        async with in_transaction():
            p = await _locked(
                Psychologist, psychologist_id, "psychologistId", Msg.NO_SUCH_PSYCHOLOGIST
            )
            if await Service.filter(psychologist_id=p.id, kind=values["kind"]).exists():
                raise _kind_taken()
            row = await Service.create(psychologist_id=p.id, **values)
            await refresh_stats([p.id])
            diff = {
                "psychologist": [None, p.id],
                "kind": [None, row.kind],
                "title": [None, row.title],
                "durationMinutes": [None, row.duration_minutes],
                "price": [None, row.price],
                "currency": [None, row.currency],
            }
            await audit.record(who, AuditAction.SERVICE_CREATED, "Service", row.id, diff)
    except IntegrityError as exc:  # the same kind, created at the same moment
        raise _kind_taken() from exc
    return row


async def update_service(
    who: Principal,
    service_id: int | None,
    *,
    title: str | None = None,
    duration_minutes: int | None = None,
    is_active: bool | None = None,
) -> Service:
    """Rename, change the length of, withdraw or re-offer a service (prices:
    ``set_service_price``). Booked sessions keep their times."""
    policy.require_edit_catalogue(who)
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = clean_text(title, "title", limit=MAX_TITLE)
    if duration_minutes is not None:
        values["duration_minutes"] = clean_duration(duration_minutes)
    if is_active is not None:
        values["is_active"] = bool(is_active)
    names = {"title": "title", "duration_minutes": "durationMinutes", "is_active": "isActive"}
    async with in_transaction():
        row = await _locked(Service, service_id, "serviceId", Msg.NO_SUCH_SERVICE)
        diff = audit.diff({name: getattr(row, name) for name in values}, values)
        if diff:
            await Service.filter(id=row.id).update(**{name: values[name] for name in diff})
            for name in diff:
                setattr(row, name, values[name])
            if "is_active" in diff:
                await refresh_stats([row.psychologist_id])  # type: ignore[attr-defined]
            await audit.record(
                who,
                AuditAction.SERVICE_UPDATED,
                "Service",
                row.id,
                {names[name]: pair for name, pair in diff.items()},
            )
    return row


async def set_service_price(who: Principal, service_id: int | None, amount: Decimal) -> Service:
    """The service's price from now on: new bookings pay it, booked ones keep theirs. The
    psychologist's price-from (and the catalogue's order by price) follows at once."""
    policy.require_edit_catalogue(who)
    price = clean_price(amount)
    async with in_transaction():
        row = await _locked(Service, service_id, "serviceId", Msg.NO_SUCH_SERVICE)
        before = _price_of(row.price)
        if before != price:
            await Service.filter(id=row.id).update(price=price)
            row.price = price
            await refresh_stats([row.psychologist_id])  # type: ignore[attr-defined]
            await audit.record(
                who, AuditAction.SERVICE_PRICE_SET, "Service", row.id, {"price": [before, price]}
            )
    return row
