"""Who may do what: the one place that decides.

Pure functions over the caller (anything with ``user_id`` and ``role``: the
request's ``app.identity.viewer.Viewer``, or an ``Actor``) and plain attributes of
the object at stake (``booking.client_id``, ``conversation.client_id``, the user
id behind a booking's psychologist). No I/O: a caller loads what a rule needs and
asks here. Services and resolvers never compare roles or owners themselves.

The rules (issue 3, "Authorization"):

- a client sees and changes only their own bookings and care conversation;
- a psychologist sees the bookings on their own schedule and closes those sessions;
- the care team (care agents and admins) works all care conversations and the queue;
- admins see everything (bookings, care statistics) but do not join video rooms;
- someone else's object behaves as not found. Where refusing says nothing new
  (a client asking to close their own session, a client opening the care queue), the
  refusal is a top-level ``FORBIDDEN``.

``require_*`` helpers turn a ``False`` into the refusal the API gives: ``NotVisible``
(the payload's ``NOT_FOUND``) for an object the caller may not see, ``Forbidden`` for an
action the caller's role may not take.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from app.core.errors import Forbidden, NotVisible
from app.core.messages import Msg
from models.enums import Role

# --- who is asking ----------------------------------------------------------------------


class Principal(Protocol):
    """The caller: ``app.identity.viewer.Viewer`` fits, and so does ``Actor``."""

    @property
    def user_id(self) -> int: ...

    @property
    def role(self) -> Role: ...


@dataclass(frozen=True)
class Actor:
    """A caller without a session (e.g. the user of a sign-in payload)."""

    user_id: int
    role: Role


class OwnedByClient(Protocol):
    """A booking or a care conversation: both belong to one client."""

    @property
    def client_id(self) -> int: ...


Owned = TypeVar("Owned", bound=OwnedByClient)


class OfPsychologist(Protocol):
    """A row of one psychologist's schedule (a time off)."""

    @property
    def psychologist_id(self) -> int: ...


# --- role sets --------------------------------------------------------------------------

CARE_TEAM_ROLES: frozenset[Role] = frozenset({Role.CARE_AGENT, Role.ADMIN})
"""Who works the care chat (queue, inbox, answers); ``Viewer.is_staff``."""

ADMIN_ROLES: frozenset[Role] = frozenset({Role.ADMIN})


def is_admin(who: Principal) -> bool:
    return who.role in ADMIN_ROLES


def is_care_team(who: Principal) -> bool:
    return who.role in CARE_TEAM_ROLES


def is_client(who: Principal) -> bool:
    return who.role == Role.CLIENT


# --- refusals ---------------------------------------------------------------------------


def booking_not_found() -> NotVisible:
    return NotVisible(Msg.NO_SUCH_BOOKING, "bookingId")


def conversation_not_found() -> NotVisible:
    return NotVisible(Msg.NO_SUCH_CONVERSATION, "conversationId")


# --- bookings ---------------------------------------------------------------------------


class BookingParty(StrEnum):
    """Which side of a booking the caller is on."""

    CLIENT = "CLIENT"
    PSYCHOLOGIST = "PSYCHOLOGIST"


def is_booking_client(who: Principal, booking: OwnedByClient) -> bool:
    """The client who booked it. A resolver may skip loading the psychologist then."""
    return booking.client_id == who.user_id


def booking_party(
    who: Principal, booking: OwnedByClient, psychologist_user_id: int | None
) -> BookingParty | None:
    """The caller's side of the booking, or None when they are neither side."""
    if is_booking_client(who, booking):
        return BookingParty.CLIENT
    if psychologist_user_id is not None and psychologist_user_id == who.user_id:
        return BookingParty.PSYCHOLOGIST
    return None


def can_view_booking(
    who: Principal, booking: OwnedByClient, psychologist_user_id: int | None
) -> bool:
    """``node(id:)`` of a Booking: its client, its psychologist and admins."""
    return is_admin(who) or booking_party(who, booking, psychologist_user_id) is not None


def can_manage_booking(who: Principal, booking: OwnedByClient) -> bool:
    """Cancel or reschedule: the client who booked it, or an admin."""
    return is_admin(who) or is_booking_client(who, booking)


def can_complete_booking(who: Principal, psychologist_user_id: int | None) -> bool:
    """Close a session (COMPLETED / NO_SHOW): the booking's psychologist, or an admin."""
    return is_admin(who) or (
        who.role == Role.PSYCHOLOGIST
        and psychologist_user_id is not None
        and psychologist_user_id == who.user_id
    )


def can_see_video_link(
    who: Principal, booking: OwnedByClient, psychologist_user_id: int | None
) -> bool:
    """The join link: the two parties only (admins see the booking, not the room)."""
    return booking_party(who, booking, psychologist_user_id) is not None


def is_video_moderator(party: BookingParty | None) -> bool:
    return party == BookingParty.PSYCHOLOGIST


def own_bookings_scope(who: Principal) -> dict[str, int]:
    """Filter of ``viewer.bookings``: the bookings the caller made as a client.

    Every role gets its own client bookings (none for staff and psychologists);
    admins reach anyone's booking by ID, not through this list.
    """
    return {"client_id": who.user_id}


def require_manage_booking(who: Principal, booking: Owned | None) -> Owned:
    """The booking if the caller may cancel/reschedule it; NOT_FOUND otherwise."""
    if booking is None or not can_manage_booking(who, booking):
        raise booking_not_found()
    return booking


def require_complete_booking(
    who: Principal, booking: OwnedByClient, psychologist_user_id: int | None
) -> None:
    """Closing a session: the booking's own client learns they may not (FORBIDDEN);
    anyone else learns nothing (NOT_FOUND)."""
    if can_complete_booking(who, psychologist_user_id):
        return
    if is_booking_client(who, booking):
        raise Forbidden(Msg.CLOSE_SESSION_FORBIDDEN)
    raise booking_not_found()


def can_see_client_name(who: Principal, psychologist_user_id: int | None) -> bool:
    """``Booking.clientDisplayName`` (the name only, never the phone): the booking's
    psychologist and admins; the client knows their own name, nobody else sees it."""
    return is_admin(who) or (
        who.role == Role.PSYCHOLOGIST
        and psychologist_user_id is not None
        and psychologist_user_id == who.user_id
    )


# --- a psychologist's own schedule and sessions -------------------------------------------


def has_own_schedule(who: Principal) -> bool:
    """``mySchedule``, ``setWorkingHours``, ``addTimeOff``, ``removeTimeOff``, ``mySessions``:
    a psychologist, on the profile linked to their account. Admins edit the catalogue
    through their own operations, not as a psychologist."""
    return who.role == Role.PSYCHOLOGIST


def require_own_schedule(who: Principal) -> None:
    if not has_own_schedule(who):
        raise Forbidden(Msg.PSYCHOLOGISTS_ONLY)


def own_sessions_scope(psychologist_id: int) -> dict[str, int]:
    """Filter of ``mySessions``: the bookings on the psychologist's own schedule."""
    return {"psychologist_id": psychologist_id}


def time_off_not_found() -> NotVisible:
    return NotVisible(Msg.NO_SUCH_TIME_OFF, "id")


def require_own_time_off(psychologist_id: int, time_off: OfPsychologist | None) -> None:
    """Another psychologist's time off behaves as one that does not exist."""
    if time_off is None or time_off.psychologist_id != psychologist_id:
        raise time_off_not_found()


# --- care conversations -----------------------------------------------------------------


def can_read_conversation(who: Principal, conversation: OwnedByClient) -> bool:
    """Participants only: the client who owns it, and the care team."""
    if is_care_team(who):
        return True
    return is_client(who) and conversation.client_id == who.user_id


def can_post_to_conversation(who: Principal, conversation: OwnedByClient) -> bool:
    """Send a message or move one's read marker: the same participants."""
    return can_read_conversation(who, conversation)


def has_care_conversation(who: Principal) -> bool:
    """``viewer.careConversation`` exists for clients only."""
    return is_client(who)


def writes_as_care_team(who: Principal) -> bool:
    """A care-team message answers a wait; anyone else's starts one."""
    return is_care_team(who)


def can_assign_conversation(who: Principal) -> bool:
    """Take a conversation from the queue."""
    return is_care_team(who)


def can_view_care_queue(who: Principal) -> bool:
    """``careQueue`` and the ``careInbox`` subscription."""
    return is_care_team(who)


def sees_every_conversation(who: Principal) -> bool:
    """``careConversations``: admins list every conversation, agents the ones they took
    part in (assigned or replied)."""
    return is_admin(who)


def can_view_care_stats(who: Principal) -> bool:
    return is_admin(who)


def require_read_conversation(who: Principal, conversation: Owned | None) -> Owned:
    """The conversation if the caller takes part; a payload NOT_FOUND otherwise."""
    if conversation is None or not can_read_conversation(who, conversation):
        raise conversation_not_found()
    return conversation


def require_post_to_conversation(who: Principal, conversation: Owned | None) -> Owned:
    """Send, mark read, take: a payload NOT_FOUND for anyone else's conversation."""
    if conversation is None or not can_post_to_conversation(who, conversation):
        raise conversation_not_found()
    return conversation


def require_subscribe_conversation(who: Principal, conversation: Owned | None) -> Owned:
    """``messageAdded``: a subscription has no payload, so the refusal is top-level."""
    if conversation is None or not can_read_conversation(who, conversation):
        raise Forbidden(Msg.CONVERSATION_NOT_YOURS)
    return conversation


def can_book_for_self(who: Principal) -> bool:
    """Only clients book: staff holding a booking would be a booking nobody attends
    (booking on behalf of a client would be its own, audited action)."""
    return is_client(who)


def require_book_for_self(who: Principal) -> None:
    if not can_book_for_self(who):
        raise Forbidden(Msg.ONLY_CLIENTS_BOOK)


def _care_team_only() -> Forbidden:
    return Forbidden(Msg.CARE_TEAM_ONLY)


def require_view_care_queue(who: Principal) -> None:
    if not can_view_care_queue(who):
        raise _care_team_only()


def require_assign_conversation(who: Principal) -> None:
    if not can_assign_conversation(who):
        raise _care_team_only()


def require_care_stats(who: Principal) -> None:
    if not can_view_care_stats(who):
        raise Forbidden(Msg.CARE_STATS_ADMINS)


# --- the partner's figures --------------------------------------------------------------


def can_view_partner_metrics(who: Principal) -> bool:
    """``partnerMetrics``: admins (scoped to one partner or not)."""
    return is_admin(who)


def require_partner_metrics(who: Principal) -> None:
    if not can_view_partner_metrics(who):
        raise Forbidden(Msg.KPI_ADMINS)


def partner_metrics_scope(
    who: Principal, scope_partner_id: int | None, requested: int | None
) -> int | None:
    """Whose figures an admin sees: one scoped to a partner sees that partner only (its own
    by default, another is FORBIDDEN); an unscoped admin the partner requested, or every
    partner (None) without one."""
    require_partner_metrics(who)
    if scope_partner_id is None:
        return requested
    if requested is not None and requested != scope_partner_id:
        raise Forbidden(Msg.KPI_OTHER_PARTNER)
    return scope_partner_id


# --- checkups and reviews ---------------------------------------------------------------


def can_view_review_stats(who: Principal) -> bool:
    """Review statistics (the share of positive reviews): admins."""
    return is_admin(who)


def require_review_stats(who: Principal) -> None:
    if not can_view_review_stats(who):
        raise Forbidden(Msg.REVIEW_STATS_ADMINS)


def can_view_checkup_result(who: Principal, result: OwnedByClient) -> bool:
    """A checkup result: the client who had the checkup, or an admin."""
    return is_admin(who) or is_booking_client(who, result)


# --- vetting ----------------------------------------------------------------------------


def can_vet_psychologists(who: Principal) -> bool:
    """Create psychologists, record their credentials, test sessions and intervision,
    approve, suspend, reinstate, reject; see their vetting state and bookings: admins."""
    return is_admin(who)


def require_vet_psychologists(who: Principal) -> None:
    if not can_vet_psychologists(who):
        raise Forbidden(Msg.VETTING_ADMINS)


# --- push devices -----------------------------------------------------------------------


def can_register_push_device(who: Principal) -> bool:
    """Only clients get pushes: every notification (bookings, reminders, replies) is a
    client's; a staff phone holding a client-facing push token would be a leak waiting."""
    return is_client(who)


def require_register_push_device(who: Principal) -> None:
    if not can_register_push_device(who):
        raise Forbidden(Msg.ONLY_CLIENTS_PUSH)


# --- the back office: catalogue editing and the audit log -------------------------------


def can_edit_catalogue(who: Principal) -> bool:
    """Create and edit psychologists' profiles, methods, topics, services and prices."""
    return is_admin(who)


def require_edit_catalogue(who: Principal) -> None:
    if not can_edit_catalogue(who):
        raise Forbidden(Msg.CATALOGUE_ADMINS)


def can_view_audit_log(who: Principal) -> bool:
    return is_admin(who)


def require_audit_log(who: Principal) -> None:
    if not can_view_audit_log(who):
        raise Forbidden(Msg.AUDIT_LOG_ADMINS)
