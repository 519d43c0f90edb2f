"""GraphiQL's tabs: the contract operations (app/contract) with example variables, and
the in-page help above the first tab.

Only the operations that validate against the running schema get a tab (those of
issues still to come appear as they land), Catalogue first, the contract's order after.
The help's commands are printed exactly as they run from the checkout:
``tests/catalogue/test_graphiql_help.py`` runs every ``$`` line of it.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from graphql import (
    GraphQLSchema,
    NonNullTypeNode,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)

from app.contract import contract_operations
from app.core import clock
from app.core.db import is_unavailable
from models.catalogue import Psychologist
from models.enums import VettingStatus
from schema.relay import to_global_id

log = logging.getLogger("psyline.graphiql")

DEMO_PHONE = "+79991234567"
# Commands the help prints, each exactly as it runs from the checkout (a test runs them).
PARTNER_TOKEN_COMMAND = f".venv/bin/python -m app partner token --phone {DEMO_PHONE}"
STAFF_ADD_COMMAND = (
    ".venv/bin/python -m app staff add --email care@demo.psyline.local --role CARE_AGENT"
)
# The help's command lines start with this, after the comment mark.
COMMAND_PREFIX = "#     $ "

# The page's own words (the demo buttons appear in development only).
DEMO_SIGN_IN_LABELS = {"client": "Войти как демо-клиент", "careAgent": "Войти как демо-куратор"}

HELP = f"""\
# Psyline GraphiQL. Each tab is an operation of the client
# contract (app/contract/) with example variables: press run
# (Ctrl-Enter). Catalogue needs no sign-in.
#
# To sign in (viewer, bookings, chat, the care team's tabs):
# - development: press "{DEMO_SIGN_IN_LABELS["client"]}" or
#   "{DEMO_SIGN_IN_LABELS["careAgent"]}" (top right); it puts
#   {{"Authorization": "Bearer ..."}} into every tab's Headers.
# - by hand, in a terminal in the checkout:
{COMMAND_PREFIX}{PARTNER_TOKEN_COMMAND}
#   prints a sign-in JWT (5 minutes, usable once). Run the
#   SignIn tab with {{"token": "<that JWT>"}}, then put
#   {{"Authorization": "Bearer <session.accessToken>"}}
#   into the Headers below (subscriptions send it too).
#   Staff: StaffSignIn as care@demo.psyline.local with the
#   password seed --demo printed, or set a new one:
{COMMAND_PREFIX}{STAFF_ADD_COMMAND}
# Headers and tabs are kept across reloads (Settings ->
# Clear storage brings the contract's tabs back).
"""


class Fill(Enum):
    """An example value only the page can know, filled in as it is rendered."""

    NOW = "now"
    WEEK_LATER = "a week from now"
    FRESH_KEY = "a fresh idempotency key / clientMessageId"
    TOP_PSYCHOLOGIST = "the first card of the catalogue"


# Example variables per contract operation. "<...>" says where an id comes from (run
# that operation first).
EXAMPLES: dict[str, dict[str, object]] = {
    "SignIn": {"token": f"<the JWT that `{PARTNER_TOKEN_COMMAND}` prints>"},
    "RefreshSession": {"refreshToken": "<session.refreshToken from SignIn>"},
    "Catalogue": {"first": 20},
    "SoonestSlots": {"first": 10},
    "PsychologistProfile": {
        "id": Fill.TOP_PSYCHOLOGIST,
        "from": Fill.NOW,
        "to": Fill.WEEK_LATER,
    },
    "BookSlot": {"slotId": "<a nextSlots id from Catalogue>", "idempotencyKey": Fill.FRESH_KEY},
    "MyBookings": {"first": 10},
    "CancelBooking": {"id": "<a booking id from MyBookings>", "reason": "plans changed"},
    "RescheduleBooking": {
        "id": "<a booking id from MyBookings>",
        "slotId": "<a nextSlots id from Catalogue>",
    },
    "CareChat": {"last": 20},
    "SendMessage": {
        "conversationId": "<conversation.id from CareChat>",
        "text": "Здравствуйте! Пропал звук в видеозвонке.",
        "clientMessageId": Fill.FRESH_KEY,
    },
    "MessageAdded": {"conversationId": "<conversation.id from CareChat>"},
    "MarkConversationRead": {
        "conversationId": "<conversation.id from CareChat>",
        "upTo": "<a message cursor from CareChat>",
    },
    "StaffSignIn": {
        "email": "care@demo.psyline.local",
        "password": "<the password seed --demo printed>",
    },
    "CareQueue": {"first": 20},
    "AssignConversation": {"conversationId": "<a conversation id from CareQueue>"},
    "ConversationHistory": {"id": "<a conversation id from CareQueue>", "last": 20},
    "AgentReply": {
        "conversationId": "<a conversation id from CareQueue>",
        "text": "Здравствуйте! Чем можем помочь?",
        "clientMessageId": Fill.FRESH_KEY,
    },
    # The back office, as the demo psychologist (StaffSignIn psychologist@demo.psyline.local).
    "SetWorkingHours": {
        "timeZone": "Europe/Moscow",
        "hours": [
            {"weekday": day, "startTime": start, "endTime": end}
            for day in ("MONDAY", "WEDNESDAY", "FRIDAY")
            for start, end in (("10:00", "14:00"), ("15:00", "19:00"))
        ],
    },
    "AddTimeOff": {
        "startsAt": Fill.NOW,
        "endsAt": Fill.WEEK_LATER,
        "reason": "отпуск",
        "cancelConflicting": False,
    },
    "RemoveTimeOff": {"id": "<a timeOff id from MySchedule>"},
    "MySessions": {"first": 10},
    # back office: vetting (admins)
    "CreatePsychologist": {
        "fullName": "Мария Соколова",
        "bio": "Тревога, выгорание, отношения.",
        "timeZone": "Europe/Moscow",
        "practiceSince": "2019-09-01",
        "methodIds": ["<a method id from Catalogue>"],
        "topicIds": ["<a topic id from Catalogue>"],
    },
    "RecordCredential": {
        "psychologistId": "<psychologist.id from CreatePsychologist>",
        "kind": "DIPLOMA",
        "title": "Диплом специалиста «Психология»",
        "hours": 8640,
    },
    "RecordTestSession": {
        "psychologistId": "<psychologist.id from CreatePsychologist>",
        "passed": True,
        "panel": ["Ирина Васнецова", "Олег Миронов"],
        "heldOn": "<YYYY-MM-DD, not in the future>",
    },
    "ApprovePsychologist": {"psychologistId": "<psychologist.id from CreatePsychologist>"},
    "SuspendPsychologist": {
        "psychologistId": "<an approved psychologist's id>",
        "reason": "Жалоба клиента: проверяем",
    },
}
FIRST_TAB = "Catalogue"


@dataclass(frozen=True)
class Tab:
    name: str
    query: str
    variables: dict[str, object]


def contract_tabs(schema: GraphQLSchema) -> list[Tab]:
    """The contract operations that run on this schema (those of issues still to come
    do not validate yet and are left out), Catalogue first, each with example variables
    (``EXAMPLES``, else a ``"<Type>"`` placeholder per required variable)."""
    tabs = []
    for operation in contract_operations():
        document = parse(operation.text)
        if validate(schema, document):
            continue
        variables = dict(EXAMPLES.get(operation.name, {}))
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                for var in definition.variable_definitions or ():
                    required = isinstance(var.type, NonNullTypeNode) and not var.default_value
                    if required and var.variable.name.value not in variables:
                        variables[var.variable.name.value] = f"<{print_ast(var.type)}>"
        tabs.append(Tab(operation.name, operation.text, variables))
    tabs.sort(key=lambda tab: tab.name != FIRST_TAB)  # stable: the contract's order after
    return tabs


async def _top_psychologist_id() -> str | None:
    """The first card of the catalogue (PsychologistProfile's example), if any."""
    try:
        row = (
            await Psychologist.filter(vetting_status=VettingStatus.APPROVED)
            .order_by("-sort_rating", "id")
            .first()
            .only("id")
        )
    except Exception as exc:  # the page works without the database
        if not is_unavailable(exc):
            raise
        log.warning("GraphiQL: no example psychologist (database unreachable)")
        return None
    return to_global_id("Psychologist", row.id) if row is not None else None


async def graphiql_tabs(tabs: list[Tab]) -> list[dict[str, str]]:
    """The tabs as GraphiQL's ``defaultTabs`` (query and variables as text), the help
    above the first one and the ``Fill`` values of this page filled in."""
    now = clock.now().replace(microsecond=0)
    values: dict[Fill, object] = {
        Fill.NOW: now.isoformat(),
        Fill.WEEK_LATER: (now + timedelta(days=7)).isoformat(),
        Fill.FRESH_KEY: f"graphiql-{uuid.uuid4().hex[:12]}",
        Fill.TOP_PSYCHOLOGIST: await _top_psychologist_id() or "<an id from Catalogue>",
    }
    return [
        {
            "query": HELP + "\n" + tab.query if tab.name == FIRST_TAB else tab.query,
            "variables": json.dumps(
                {
                    k: values.get(v, v) if isinstance(v, Fill) else v
                    for k, v in tab.variables.items()
                },
                indent=2,
                ensure_ascii=False,
            ),
        }
        for tab in tabs
    ]
