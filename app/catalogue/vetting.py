# ruff: noqa: RUF001  (the transliteration table holds Cyrillic letters)
"""Vetting psychologists by the case study's admission rules (issue 14), GraphQL-free.

Every public function takes the caller (an ``app.policy.Principal``: admins only, anyone
else is ``Forbidden``) and plain values, and does all its writes in one transaction, so
that an importer or a CLI can call it and an audit record can join the transaction.

**The states** (``TRANSITIONS``, the one table of moves)::

    APPLIED -> DOCUMENTS_VERIFIED -> TEST_SESSION_PASSED -> APPROVED <-> SUSPENDED
    APPLIED | DOCUMENTS_VERIFIED | TEST_SESSION_PASSED -> REJECTED

The first two moves follow the record, not clicks: after every credential or test
session recorded, ``_follow_record`` moves APPLIED to DOCUMENTS_VERIFIED once the document
rules hold, and DOCUMENTS_VERIFIED to TEST_SESSION_PASSED once a passed test session is on
record (a session recorded before the documents counts when they arrive). ``approve`` and
``reinstate`` check every rule again (``VETTING_INCOMPLETE``, with the checklist); any
other move not in the table is ``VETTING_TRANSITION``.

**The rules** (``checklist``, judged against ``app.core.clock``'s UTC date):

- ``DIPLOMA``: one DIPLOMA credential of at least 1,100 hours (a diploma is one document:
  two short ones do not add up);
- ``METHOD_CERTIFICATE``: one METHOD_CERTIFICATE naming its method, of at least 700 hours;
- ``PRACTICE_YEARS``: ``practice_started_on`` at least 3 full years before today (on its
  third anniversary the rule holds; a start on 29 February has its anniversary on 1 March);
- ``TEST_SESSION``: a passed test session before an expert panel is on record;
- ``PERSONAL_THERAPY``: PERSONAL_THERAPY hours summed over every record (therapy is
  usually documented per therapist or per year), at least 150.

**Intervision**: one record per psychologist and month (a unique key). A month is missed
when it lies wholly after the approval (its first day on or after ``approved_at``'s date),
is over (before the current month) and has no record; ``missed_intervision_months`` looks
at most ``INTERVISION_WINDOW_MONTHS`` back, so its cost is bounded.

Suspending hides a psychologist from clients at once (everything clients read filters on
APPROVED: ``app.catalogue.filters.visible_psychologists``, booking's ``_load_slot``) and
leaves their bookings as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import audit
from app.catalogue.errors import VettingErrorCode as Code
from app.core import clock
from app.core.errors import NotVisible, Refused
from app.core.messages import Message, Msg, Text
from app.core.sql import lock_rows
from app.core.text import text_problem
from app.core.zones import is_time_zone
from app.policy import Principal, require_vet_psychologists
from models.audit import AuditAction
from models.catalogue import (
    Credential,
    IntervisionAttendance,
    Method,
    Psychologist,
    Topic,
    VettingTestSession,
)
from models.enums import CredentialKind, VettingStatus

# --- bounds of the input ------------------------------------------------------------------

MAX_NAME = 160
MAX_BIO = 4000
MAX_REFERENCES = 20  # methods or topics of one psychologist
MAX_TITLE = 255
MAX_HOURS = 20_000
MAX_PANEL = 10
MAX_PANEL_NAME = 120
MAX_REASON = 500
EARLIEST = date(1950, 1, 1)  # practice and test sessions before this are typing mistakes

# --- the admission rules ------------------------------------------------------------------

DIPLOMA_HOURS = 1100
CERTIFICATE_HOURS = 700
PRACTICE_YEARS = 3
THERAPY_HOURS = 150
INTERVISION_WINDOW_MONTHS = 12


class VettingRule(StrEnum):
    DIPLOMA = "DIPLOMA"
    METHOD_CERTIFICATE = "METHOD_CERTIFICATE"
    PRACTICE_YEARS = "PRACTICE_YEARS"
    TEST_SESSION = "TEST_SESSION"
    PERSONAL_THERAPY = "PERSONAL_THERAPY"


DOCUMENT_RULES = frozenset(
    {
        VettingRule.DIPLOMA,
        VettingRule.METHOD_CERTIFICATE,
        VettingRule.PRACTICE_YEARS,
        VettingRule.PERSONAL_THERAPY,
    }
)


@dataclass(frozen=True)
class RuleCheck:
    rule: VettingRule
    met: bool
    detail: Text  # rendered in the caller's language at the edge


Checklist = list[RuleCheck]


def all_met(checklist: Iterable[RuleCheck]) -> bool:
    return all(item.met for item in checklist)


# --- the state machine --------------------------------------------------------------------


class VettingAction(StrEnum):
    VERIFY_DOCUMENTS = "VERIFY_DOCUMENTS"  # by the record
    PASS_TEST_SESSION = "PASS_TEST_SESSION"  # noqa: S105 - by the record, not a password
    APPROVE = "APPROVE"
    SUSPEND = "SUSPEND"
    REINSTATE = "REINSTATE"
    REJECT = "REJECT"


S = VettingStatus
A = VettingAction
TRANSITIONS: dict[tuple[VettingStatus, VettingAction], VettingStatus] = {
    (S.APPLIED, A.VERIFY_DOCUMENTS): S.DOCUMENTS_VERIFIED,
    (S.DOCUMENTS_VERIFIED, A.PASS_TEST_SESSION): S.TEST_SESSION_PASSED,
    (S.TEST_SESSION_PASSED, A.APPROVE): S.APPROVED,
    (S.APPROVED, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.REINSTATE): S.APPROVED,
    (S.APPLIED, A.REJECT): S.REJECTED,
    (S.DOCUMENTS_VERIFIED, A.REJECT): S.REJECTED,
    (S.TEST_SESSION_PASSED, A.REJECT): S.REJECTED,
}
PRE_APPROVAL = frozenset({S.APPLIED, S.DOCUMENTS_VERIFIED, S.TEST_SESSION_PASSED})


class ChecklistRefused(Refused):
    """A refusal of approve/reinstate that still answers with the checklist."""

    def __init__(self, code: Code, message: Message, checklist: Checklist) -> None:
        super().__init__(code, message, "psychologistId")
        self.checklist = checklist


def next_status(status: VettingStatus, action: VettingAction) -> VettingStatus | None:
    return TRANSITIONS.get((VettingStatus(status), action))


def _illegal(status: VettingStatus, checklist: Checklist | None = None) -> Refused:
    message = Msg.VETTING_TRANSITION(status=VettingStatus(status).value)
    if checklist is not None:
        return ChecklistRefused(Code.VETTING_TRANSITION, message, checklist)
    return Refused(Code.VETTING_TRANSITION, message, "psychologistId")


@dataclass(frozen=True)
class Outcome:
    psychologist: Psychologist
    checklist: Checklist


# --- helpers ------------------------------------------------------------------------------


def _invalid(message: Message, field: str) -> Refused:
    return Refused(Code.INVALID_INPUT, message, field)


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if text_problem(text) is not None or len(text) > limit or (required and not text):
        raise _invalid(Msg.VETTING_TEXT_LENGTH(field=field, limit=limit), field)
    return text


def _today() -> date:
    return clock.now().astimezone(UTC).date()


def _past_date(value: date, field: str, today: date) -> date:
    if value > today:
        raise _invalid(Msg.VETTING_DATE_IN_FUTURE(field=field), field)
    if value < EARLIEST:
        raise _invalid(Msg.VETTING_DATE_TOO_OLD(field=field, year=EARLIEST.year), field)
    return value


async def _psychologist(psychologist_id: int | None) -> Psychologist:
    row = None
    if psychologist_id is not None:
        row = await Psychologist.get_or_none(id=psychologist_id)
    if row is None:
        raise NotVisible(Msg.NO_SUCH_PSYCHOLOGIST, "psychologistId")
    return row


async def _locked(psychologist_id: int | None) -> Psychologist:
    """The psychologist, row-locked (PostgreSQL) for the rest of the transaction, read
    after the lock (so what the caller sees is what no one else can change)."""
    if psychologist_id is not None:
        await lock_rows(Psychologist.filter(id=psychologist_id))
    return await _psychologist(psychologist_id)


async def _move(p: Psychologist, to: VettingStatus, actor: Principal, **extra: object) -> None:
    """A guarded write: only from the state the caller read (a racing move loses); audited
    in the same transaction."""
    done = await Psychologist.filter(id=p.id, vetting_status=p.vetting_status).update(
        vetting_status=to, **extra
    )
    if not done:
        raise _illegal(p.vetting_status)
    changes: dict[str, list[object]] = {"vettingStatus": [p.vetting_status, to]}
    if "vetting_note" in extra:
        changes["vettingNote"] = [p.vetting_note, extra["vetting_note"]]
    await audit.record(actor, AuditAction.VETTING_STATUS_CHANGED, "Psychologist", p.id, changes)
    p.vetting_status = to
    for name, value in extra.items():
        setattr(p, name, value)


def _references(ids: Sequence[int | None], field: str) -> list[int]:
    if len(ids) > MAX_REFERENCES:
        raise _invalid(Msg.VETTING_TOO_MANY(field=field, limit=MAX_REFERENCES), field)
    if any(i is None for i in ids):
        raise _invalid(Msg.MALFORMED_ID, field)
    return list(dict.fromkeys(i for i in ids if i is not None))


async def _existing(
    model: type[Method] | type[Topic], ids: list[int], code: Code, field: str
) -> list[int]:
    found = set(await model.filter(id__in=ids).values_list("id", flat=True)) if ids else set()
    if len(found) != len(ids):
        raise Refused(code, None, field)
    return ids


# --- slugs --------------------------------------------------------------------------------

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщыэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch y e yu ya".split(),  # noqa: SIM905
        strict=True,
    )
)
_TRANSLIT.update({"ъ": "", "ь": "", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u"})
MAX_SLUG_BASE = 70  # the column holds 80: room for "-<n>"


def slug_base(full_name: str) -> str:
    """Lowercase ASCII words joined by "-": Cyrillic transliterated, anything else
    dropped; "psychologist" when nothing is left (a name in another script)."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in full_name.casefold())
    words = re.findall(r"[a-z0-9]+", latin)
    base = "-".join(words)[:MAX_SLUG_BASE].strip("-")
    return base or "psychologist"


async def _unique_slug(full_name: str) -> str:
    base = slug_base(full_name)
    rows = await Psychologist.filter(slug__startswith=base).values_list("slug", flat=True)
    taken: set[str] = {str(slug) for slug in rows}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- the checklist ------------------------------------------------------------------------


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year: the day after 28 February
        return date(start.year + years, 3, 1)


def full_years(start: date, today: date) -> int:
    years = today.year - start.year
    if _anniversary(start, years) > today:
        years -= 1
    return max(0, years)


async def _checklist(p: Psychologist, today: date) -> Checklist:
    credentials = await Credential.filter(psychologist_id=p.id).order_by("id")
    sessions = await VettingTestSession.filter(psychologist_id=p.id).order_by("held_on", "id")
    diplomas = [c.hours or 0 for c in credentials if c.kind == CredentialKind.DIPLOMA]
    certificates = [
        c for c in credentials if c.kind == CredentialKind.METHOD_CERTIFICATE and c.method_id
    ]
    therapy = sum(c.hours or 0 for c in credentials if c.kind == CredentialKind.PERSONAL_THERAPY)
    out: Checklist = []

    best = max(diplomas, default=0)
    if best >= DIPLOMA_HOURS:
        detail = Msg.RULE_DIPLOMA_MET(hours=best, need=DIPLOMA_HOURS)
    else:
        detail = Msg.RULE_DIPLOMA_UNMET(hours=best, need=DIPLOMA_HOURS)
    out.append(RuleCheck(VettingRule.DIPLOMA, best >= DIPLOMA_HOURS, detail))

    top = max(certificates, key=lambda c: (c.hours or 0, -c.id), default=None)
    hours = (top.hours or 0) if top else 0
    if top is not None and hours >= CERTIFICATE_HOURS:
        method = await Method.get_or_none(id=top.method_id)
        name = method.name if method else "?"
        detail = Msg.RULE_CERTIFICATE_MET(method=name, hours=hours, need=CERTIFICATE_HOURS)
    else:
        detail = Msg.RULE_CERTIFICATE_UNMET(hours=hours, need=CERTIFICATE_HOURS)
    out.append(RuleCheck(VettingRule.METHOD_CERTIFICATE, hours >= CERTIFICATE_HOURS, detail))

    start = p.practice_started_on
    if start is None:
        out.append(RuleCheck(VettingRule.PRACTICE_YEARS, False, Msg.RULE_PRACTICE_UNKNOWN()))
    else:
        years = full_years(start, today)
        since = start.isoformat()
        if years >= PRACTICE_YEARS:
            detail = Msg.RULE_PRACTICE_MET(since=since, years=years, need=PRACTICE_YEARS)
        else:
            due = _anniversary(start, PRACTICE_YEARS).isoformat()
            detail = Msg.RULE_PRACTICE_UNMET(since=since, years=years, need=PRACTICE_YEARS, due=due)
        out.append(RuleCheck(VettingRule.PRACTICE_YEARS, years >= PRACTICE_YEARS, detail))

    passed = [s for s in sessions if s.passed]
    if passed:
        last = passed[-1]
        detail = Msg.RULE_TEST_SESSION_MET(
            held_on=last.held_on.isoformat(), panel=", ".join(last.panel)
        )
    else:
        detail = Msg.RULE_TEST_SESSION_UNMET(failed=len(sessions))
    out.append(RuleCheck(VettingRule.TEST_SESSION, bool(passed), detail))

    if therapy >= THERAPY_HOURS:
        detail = Msg.RULE_THERAPY_MET(hours=therapy, need=THERAPY_HOURS)
    else:
        detail = Msg.RULE_THERAPY_UNMET(hours=therapy, need=THERAPY_HOURS)
    out.append(RuleCheck(VettingRule.PERSONAL_THERAPY, therapy >= THERAPY_HOURS, detail))
    return out


async def _follow_record(p: Psychologist, today: date, actor: Principal) -> Checklist:
    """Move APPLIED / DOCUMENTS_VERIFIED on as far as the record allows."""
    checks = await _checklist(p, today)
    met = {c.rule for c in checks if c.met}
    if p.vetting_status == S.APPLIED and met >= DOCUMENT_RULES:
        await _move(p, TRANSITIONS[(S.APPLIED, A.VERIFY_DOCUMENTS)], actor)
    if p.vetting_status == S.DOCUMENTS_VERIFIED and VettingRule.TEST_SESSION in met:
        await _move(p, TRANSITIONS[(S.DOCUMENTS_VERIFIED, A.PASS_TEST_SESSION)], actor)
    return checks


# --- the operations -----------------------------------------------------------------------


async def create_psychologist(
    actor: Principal,
    *,
    full_name: str,
    bio: str,
    time_zone: str,
    practice_since: date,
    method_ids: Sequence[int | None],
    topic_ids: Sequence[int | None],
) -> Psychologist:
    """A new psychologist in APPLIED, with a unique slug made from the name."""
    require_vet_psychologists(actor)
    today = _today()
    name = _text(full_name, "fullName", MAX_NAME)
    about = (bio or "").strip()
    if text_problem(about) is not None or len(about) > MAX_BIO:
        raise _invalid(Msg.VETTING_BIO_LENGTH(limit=MAX_BIO), "bio")
    zone = (time_zone or "").strip()
    if not is_time_zone(zone):
        raise _invalid(Msg.VETTING_TIME_ZONE, "timeZone")
    started = _past_date(practice_since, "practiceSince", today)
    methods = await _existing(
        Method, _references(method_ids, "methodIds"), Code.UNKNOWN_METHOD, "methodIds"
    )
    topics = await _existing(
        Topic, _references(topic_ids, "topicIds"), Code.UNKNOWN_TOPIC, "topicIds"
    )
    for attempt in range(3):
        try:
            async with in_transaction():
                p = await Psychologist.create(
                    slug=await _unique_slug(name),
                    full_name=name,
                    bio=about,
                    timezone=zone,
                    practice_since=started.year,
                    practice_started_on=started,
                    vetting_status=S.APPLIED,
                )
                if methods:
                    await p.methods.add(*await Method.filter(id__in=methods))
                if topics:
                    await p.topics.add(*await Topic.filter(id__in=topics))
                await audit.record(
                    actor,
                    AuditAction.PSYCHOLOGIST_CREATED,
                    "Psychologist",
                    p.id,
                    {
                        "fullName": [None, name],
                        "timeZone": [None, zone],
                        "practiceSince": [None, started],
                        "methodIds": [None, sorted(methods)],
                        "topicIds": [None, sorted(topics)],
                        "vettingStatus": [None, S.APPLIED],
                    },
                )
            return p
        except IntegrityError:  # a racing request took the same slug: take the next one
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def record_credential(
    actor: Principal,
    psychologist_id: int | None,
    *,
    kind: CredentialKind,
    title: str,
    hours: int,
    method_id: int | None = None,
    method_given: bool = False,
    institution: str | None = None,
    year: int | None = None,
) -> tuple[Credential, Psychologist]:
    """A vetted document; APPLIED becomes DOCUMENTS_VERIFIED once the document rules hold.

    ``method_given`` says a ``methodId`` was passed (``method_id`` is None when it was
    malformed): only a METHOD_CERTIFICATE names a method, and it must."""
    require_vet_psychologists(actor)
    kind = CredentialKind(kind)
    if kind == CredentialKind.INTERVISION:
        raise _invalid(Msg.VETTING_KIND_INTERVISION, "kind")
    text = _text(title, "title", MAX_TITLE)
    place = _text(institution or "", "institution", MAX_TITLE, required=False)
    if not 1 <= hours <= MAX_HOURS:
        raise _invalid(Msg.VETTING_HOURS(limit=MAX_HOURS), "hours")
    today = _today()
    if year is not None and not EARLIEST.year <= year <= today.year:
        raise _invalid(Msg.VETTING_DATE_TOO_OLD(field="year", year=EARLIEST.year), "year")
    if kind == CredentialKind.METHOD_CERTIFICATE:
        if not method_given:
            raise _invalid(Msg.VETTING_METHOD_NEEDED, "methodId")
        if method_id is None or not await Method.exists(id=method_id):
            raise Refused(Code.UNKNOWN_METHOD, None, "methodId")
    elif method_given:
        raise _invalid(Msg.VETTING_METHOD_UNEXPECTED, "methodId")
    async with in_transaction():
        p = await _locked(psychologist_id)
        credential = await Credential.create(
            psychologist_id=p.id,
            kind=kind,
            title=text,
            institution=place,
            hours=hours,
            year=year,
            method_id=method_id if kind == CredentialKind.METHOD_CERTIFICATE else None,
            recorded_at=clock.now(),
        )
        await audit.record(
            actor,
            AuditAction.CREDENTIAL_RECORDED,
            "Psychologist",
            p.id,
            {"credential": [None, {"kind": kind, "title": text, "hours": hours}]},
        )
        await _follow_record(p, today, actor)
    return credential, p


async def record_test_session(
    actor: Principal,
    psychologist_id: int | None,
    *,
    passed: bool,
    panel: Sequence[str],
    held_on: date,
) -> Psychologist:
    """A test session judged by a panel; a passed one moves DOCUMENTS_VERIFIED on."""
    require_vet_psychologists(actor)
    today = _today()
    experts = [(name or "").strip() for name in panel]
    if not 1 <= len(experts) <= MAX_PANEL or any(
        not e or len(e) > MAX_PANEL_NAME or text_problem(e) for e in experts
    ):
        raise _invalid(Msg.VETTING_PANEL(limit=MAX_PANEL, length=MAX_PANEL_NAME), "panel")
    held = _past_date(held_on, "heldOn", today)
    async with in_transaction():
        p = await _locked(psychologist_id)
        await VettingTestSession.create(
            psychologist_id=p.id,
            passed=passed,
            panel=experts,
            held_on=held,
            recorded_at=clock.now(),
        )
        await audit.record(
            actor,
            AuditAction.TEST_SESSION_RECORDED,
            "Psychologist",
            p.id,
            {"testSession": [None, {"passed": passed, "heldOn": held, "panel": experts}]},
        )
        await _follow_record(p, today, actor)
    return p


async def checklist(actor: Principal, psychologist_id: int | None) -> Checklist:
    """Every rule, met or not, with its detail."""
    require_vet_psychologists(actor)
    return await _checklist(await _psychologist(psychologist_id), _today())


async def approve(actor: Principal, psychologist_id: int | None) -> Outcome:
    """TEST_SESSION_PASSED -> APPROVED when every rule holds (checked again here)."""
    require_vet_psychologists(actor)
    today = _today()
    async with in_transaction():
        p = await _locked(psychologist_id)
        checks = await _follow_record(p, today, actor)
        if p.vetting_status not in PRE_APPROVAL:
            raise _illegal(p.vetting_status, checks)
        if not all_met(checks):
            raise ChecklistRefused(Code.VETTING_INCOMPLETE, Msg.VETTING_INCOMPLETE, checks)
        target = next_status(p.vetting_status, A.APPROVE)
        if target is None:  # pragma: no cover - every rule met means TEST_SESSION_PASSED
            raise _illegal(p.vetting_status, checks)
        await _move(p, target, actor, approved_at=clock.now(), vetting_note=None)
    return Outcome(p, checks)


async def reinstate(actor: Principal, psychologist_id: int | None) -> Outcome:
    """SUSPENDED -> APPROVED, only if the checklist holds again."""
    require_vet_psychologists(actor)
    async with in_transaction():
        p = await _locked(psychologist_id)
        checks = await _checklist(p, _today())
        target = next_status(p.vetting_status, A.REINSTATE)
        if target is None:
            raise _illegal(p.vetting_status, checks)
        if not all_met(checks):
            raise ChecklistRefused(Code.VETTING_INCOMPLETE, Msg.VETTING_INCOMPLETE, checks)
        await _move(p, target, actor, vetting_note=None)
    return Outcome(p, checks)


async def _with_reason(
    actor: Principal, psychologist_id: int | None, reason: str, action: VettingAction
) -> Psychologist:
    require_vet_psychologists(actor)
    note = _text(reason, "reason", MAX_REASON)
    async with in_transaction():
        p = await _locked(psychologist_id)
        target = next_status(p.vetting_status, action)
        if target is None:
            raise _illegal(p.vetting_status)
        await _move(p, target, actor, vetting_note=note)
    return p


async def suspend(actor: Principal, psychologist_id: int | None, reason: str) -> Psychologist:
    """APPROVED -> SUSPENDED: hidden from clients at once; their bookings stay as they are."""
    return await _with_reason(actor, psychologist_id, reason, A.SUSPEND)


async def reject(actor: Principal, psychologist_id: int | None, reason: str) -> Psychologist:
    """Any state before approval -> REJECTED."""
    return await _with_reason(actor, psychologist_id, reason, A.REJECT)


def month_start(value: date) -> date:
    return value.replace(day=1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(value: date | str) -> date:
    """The first day of a month given as a date in it or as ``YYYY-MM``."""
    if isinstance(value, date):
        return month_start(value)
    match = _MONTH.fullmatch(value.strip()) if len(value) <= 16 else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise _invalid(Msg.VETTING_MONTH, "month")
    return date(int(match.group(1)), int(match.group(2)), 1)


async def record_intervision(
    actor: Principal, psychologist_id: int | None, month: date | str
) -> tuple[IntervisionAttendance, Psychologist]:
    """Attendance of one month's intervision (a day of the month or ``YYYY-MM``)."""
    require_vet_psychologists(actor)
    first = parse_month(month)
    if first > month_start(_today()) or first < EARLIEST:
        raise _invalid(Msg.VETTING_MONTH, "month")
    try:
        async with in_transaction():
            p = await _locked(psychologist_id)
            if await IntervisionAttendance.exists(psychologist_id=p.id, month=first):
                raise Refused(Code.INTERVISION_ALREADY_RECORDED, None, "month")
            row = await IntervisionAttendance.create(
                psychologist_id=p.id, month=first, recorded_at=clock.now()
            )
            await audit.record(
                actor,
                AuditAction.INTERVISION_RECORDED,
                "Psychologist",
                p.id,
                {"intervisionMonth": [None, first]},
            )
        return row, p
    except IntegrityError as exc:  # a racing request recorded the same month
        raise Refused(Code.INTERVISION_ALREADY_RECORDED, None, "month") from exc


def due_months(approved_at: datetime | None, today: date) -> list[date]:
    """The months wholly after the approval and over by today, the newest
    ``INTERVISION_WINDOW_MONTHS`` of them."""
    if approved_at is None:
        return []
    day = approved_at.astimezone(UTC).date()
    first = day if day.day == 1 else _add_months(month_start(day), 1)
    current = month_start(today)
    first = max(first, _add_months(current, -INTERVISION_WINDOW_MONTHS))
    out = []
    month = first
    while month < current:
        out.append(month)
        month = _add_months(month, 1)
    return out


async def missed_intervision_months(
    psychologists: Sequence[Psychologist], today: date | None = None
) -> dict[int, list[date]]:
    """For each psychologist (approved or suspended: they have an approval), the months
    missed within the window, oldest first; one SQL statement for all of them."""
    today = today or _today()
    due = {
        p.id: months
        for p in psychologists
        if p.vetting_status in (S.APPROVED, S.SUSPENDED)
        and (months := due_months(p.approved_at, today))
    }
    out: dict[int, list[date]] = {p.id: [] for p in psychologists}
    if not due:
        return out
    oldest = min(months[0] for months in due.values())
    attended: set[tuple[int, date]] = {
        (pid, month)
        for pid, month in await IntervisionAttendance.filter(
            psychologist_id__in=list(due), month__gte=oldest
        ).values_list("psychologist_id", "month")
    }
    for pid, months in due.items():
        out[pid] = [m for m in months if (pid, m) not in attended]
    return out
