# ruff: noqa: E501 - the role x action tables read best one role per line
"""``app.policy`` as a table: every role against every action, on plain objects (no DB).

The world: one booking and one care conversation of ``OWNER`` (a client), the booking
on the schedule of ``PSYCHOLOGIST``. Everyone else is a stranger to both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app import policy
from app.core.errors import Forbidden, NotVisible
from app.identity.viewer import Viewer
from models.enums import Role

OWNER = policy.Actor(user_id=1, role=Role.CLIENT)
OTHER_CLIENT = policy.Actor(user_id=2, role=Role.CLIENT)
PSYCHOLOGIST = policy.Actor(user_id=3, role=Role.PSYCHOLOGIST)
OTHER_PSYCHOLOGIST = policy.Actor(user_id=4, role=Role.PSYCHOLOGIST)
AGENT = policy.Actor(user_id=5, role=Role.CARE_AGENT)
ADMIN = policy.Actor(user_id=6, role=Role.ADMIN)

WHO = {
    "client owner": OWNER,
    "other client": OTHER_CLIENT,
    "psychologist own": PSYCHOLOGIST,
    "other psychologist": OTHER_PSYCHOLOGIST,
    "care agent": AGENT,
    "admin": ADMIN,
}

BOOKING = SimpleNamespace(client_id=OWNER.user_id)
PSYCHOLOGIST_USER_ID = PSYCHOLOGIST.user_id
CONVERSATION = SimpleNamespace(client_id=OWNER.user_id)

ACTIONS: dict[str, Callable[[policy.Principal], bool]] = {
    "view booking": lambda w: policy.can_view_booking(w, BOOKING, PSYCHOLOGIST_USER_ID),
    "manage booking": lambda w: policy.can_manage_booking(w, BOOKING),
    "complete booking": lambda w: policy.can_complete_booking(w, PSYCHOLOGIST_USER_ID),
    "see video link": lambda w: policy.can_see_video_link(w, BOOKING, PSYCHOLOGIST_USER_ID),
    "read conversation": lambda w: policy.can_read_conversation(w, CONVERSATION),
    "post to conversation": lambda w: policy.can_post_to_conversation(w, CONVERSATION),
    "assign conversation": policy.can_assign_conversation,
    "view care queue": policy.can_view_care_queue,
    "view care stats": policy.can_view_care_stats,
    "has care conversation": policy.has_care_conversation,
    "writes as care team": policy.writes_as_care_team,
    "book for self": policy.can_book_for_self,
}

# fmt: off
# Columns in the order of ACTIONS.
EXPECTED: dict[str, tuple[bool, ...]] = {
    #                     view   manage complete video  read   post   assign queue  stats  conv   team   book
    "client owner":       (True,  True,  False,   True,  True,  True,  False, False, False, True,  False, True),
    "other client":       (False, False, False,   False, False, False, False, False, False, True,  False, True),
    "psychologist own":   (True,  False, True,    True,  False, False, False, False, False, False, False, False),
    "other psychologist": (False, False, False,   False, False, False, False, False, False, False, False, False),
    "care agent":         (False, False, False,   False, True,  True,  True,  True,  False, False, True,  False),
    "admin":              (True,  True,  True,    False, True,  True,  True,  True,  True,  False, True,  False),
}
# fmt: on

CASES = [
    pytest.param(who, action, allowed, id=f"{who}-{action}")
    for who, row in EXPECTED.items()
    for action, allowed in zip(ACTIONS, row, strict=True)
]


@pytest.mark.parametrize(("who", "action", "allowed"), CASES)
def test_role_action_table(who: str, action: str, allowed: bool) -> None:
    assert ACTIONS[action](WHO[who]) is allowed


def test_table_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(WHO)
    assert {w.role for w in WHO.values()} == set(Role)
    assert all(len(row) == len(ACTIONS) for row in EXPECTED.values())


# --- refusals: NOT_FOUND for someone else's object, FORBIDDEN where it says nothing new ---


def _refusal(call: Callable[[], object]) -> str | None:
    """None when allowed, else "NOT_FOUND:<field>" or "FORBIDDEN"."""
    try:
        call()
    except NotVisible as exc:
        return f"NOT_FOUND:{exc.field}"
    except Forbidden as exc:
        return exc.code.value
    return None


NF_BOOKING = "NOT_FOUND:bookingId"
NF_CONVERSATION = "NOT_FOUND:conversationId"
FORBIDDEN = "FORBIDDEN"

REQUIRES: dict[str, Callable[[policy.Principal], object]] = {
    "manage booking": lambda w: policy.require_manage_booking(w, BOOKING),
    "complete booking": lambda w: policy.require_complete_booking(w, BOOKING, PSYCHOLOGIST_USER_ID),
    "post to conversation": lambda w: policy.require_post_to_conversation(w, CONVERSATION),
    "subscribe to conversation": lambda w: policy.require_subscribe_conversation(w, CONVERSATION),
    "assign conversation": policy.require_assign_conversation,
    "view care queue": policy.require_view_care_queue,
    "view care stats": policy.require_care_stats,
}

# fmt: off
REFUSALS: dict[str, tuple[str | None, ...]] = {
    #                     manage      complete    post             subscribe  assign     queue      stats
    "client owner":       (None,       FORBIDDEN,  None,            None,      FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "other client":       (NF_BOOKING, NF_BOOKING, NF_CONVERSATION, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "psychologist own":   (NF_BOOKING, None,       NF_CONVERSATION, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "other psychologist": (NF_BOOKING, NF_BOOKING, NF_CONVERSATION, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "care agent":         (NF_BOOKING, NF_BOOKING, None,            None,      None,      None,      FORBIDDEN),
    "admin":              (None,       None,       None,            None,      None,      None,      None),
}
# fmt: on

REFUSAL_CASES = [
    pytest.param(who, action, refusal, id=f"{who}-{action}")
    for who, row in REFUSALS.items()
    for action, refusal in zip(REQUIRES, row, strict=True)
]


@pytest.mark.parametrize(("who", "action", "refusal"), REFUSAL_CASES)
def test_refusal_table(who: str, action: str, refusal: str | None) -> None:
    assert _refusal(lambda: REQUIRES[action](WHO[who])) == refusal


def test_refusals_table_covers_every_role() -> None:
    assert set(REFUSALS) == set(WHO)


@pytest.mark.parametrize("who", list(WHO.values()), ids=list(WHO))
def test_missing_objects_are_not_found_for_everyone(who: policy.Principal) -> None:
    assert _refusal(lambda: policy.require_manage_booking(who, None)) == NF_BOOKING
    assert _refusal(lambda: policy.require_post_to_conversation(who, None)) == NF_CONVERSATION
    assert _refusal(lambda: policy.require_read_conversation(who, None)) == NF_CONVERSATION
    assert _refusal(lambda: policy.require_subscribe_conversation(who, None)) == FORBIDDEN


def test_require_helpers_return_the_object() -> None:
    assert policy.require_manage_booking(OWNER, BOOKING) is BOOKING
    assert policy.require_read_conversation(AGENT, CONVERSATION) is CONVERSATION
    assert policy.require_post_to_conversation(OWNER, CONVERSATION) is CONVERSATION
    assert policy.require_subscribe_conversation(ADMIN, CONVERSATION) is CONVERSATION


# --- the details resolvers rely on ----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "party"),
    [
        (OWNER, policy.BookingParty.CLIENT),
        (PSYCHOLOGIST, policy.BookingParty.PSYCHOLOGIST),
        (OTHER_CLIENT, None),
        (OTHER_PSYCHOLOGIST, None),
        (AGENT, None),
        (ADMIN, None),  # admins see the booking, not the video room
    ],
)
def test_booking_party_and_video_moderator(
    who: policy.Principal, party: policy.BookingParty | None
) -> None:
    assert policy.booking_party(who, BOOKING, PSYCHOLOGIST_USER_ID) == party
    assert policy.is_video_moderator(party) is (party == policy.BookingParty.PSYCHOLOGIST)


def test_a_booking_whose_psychologist_is_unknown_is_seen_by_client_and_admin_only() -> None:
    seen = {name for name, w in WHO.items() if policy.can_view_booking(w, BOOKING, None)}
    assert seen == {"client owner", "admin"}
    assert not policy.can_complete_booking(PSYCHOLOGIST, None)


def test_the_client_side_is_known_without_loading_the_psychologist() -> None:
    assert policy.is_booking_client(OWNER, BOOKING)
    assert not policy.is_booking_client(PSYCHOLOGIST, BOOKING)


@pytest.mark.parametrize("who", list(WHO.values()), ids=list(WHO))
def test_own_bookings_scope_is_the_callers_client_bookings(who: policy.Principal) -> None:
    assert policy.own_bookings_scope(who) == {"client_id": who.user_id}


def test_role_sets() -> None:
    assert frozenset({Role.CARE_AGENT, Role.ADMIN}) == policy.CARE_TEAM_ROLES
    assert frozenset({Role.ADMIN}) == policy.ADMIN_ROLES
    assert [r for r in Role if policy.is_care_team(policy.Actor(0, r))] == [
        Role.CARE_AGENT,
        Role.ADMIN,
    ]
    assert [r for r in Role if policy.is_admin(policy.Actor(0, r))] == [Role.ADMIN]
    assert [r for r in Role if policy.is_client(policy.Actor(0, r))] == [Role.CLIENT]


@pytest.mark.parametrize("role", list(Role))
def test_the_request_viewer_is_a_principal(role: Role) -> None:
    """The session's ``Viewer`` gets the same answers as a plain ``Actor``."""
    viewer = Viewer(
        user_id=OWNER.user_id,
        role=role,
        session_id="s",
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    actor = policy.Actor(user_id=OWNER.user_id, role=role)
    for action in ACTIONS.values():
        assert action(viewer) is action(actor)
    assert viewer.is_staff is policy.is_care_team(actor)


@pytest.mark.parametrize(("who", "allowed"), [(w, w == "admin") for w in WHO])
def test_only_admins_edit_the_catalogue_and_read_the_audit_log(who: str, allowed: bool) -> None:
    assert policy.can_edit_catalogue(WHO[who]) is allowed
    assert policy.can_view_audit_log(WHO[who]) is allowed
    for require in (policy.require_edit_catalogue, policy.require_audit_log):
        if allowed:
            require(WHO[who])
        else:
            with pytest.raises(Forbidden):
                require(WHO[who])


# --- a psychologist's own schedule (issue 14) ---------------------------------------------

SCHEDULE_ACTIONS: dict[str, Callable[[policy.Principal], bool]] = {
    "see client name": lambda w: policy.can_see_client_name(w, PSYCHOLOGIST_USER_ID),
    "own schedule": policy.has_own_schedule,
}
# fmt: off
SCHEDULE_EXPECTED: dict[str, tuple[bool, ...]] = {
    #                     name   schedule
    "client owner":       (False, False),
    "other client":       (False, False),
    "psychologist own":   (True,  True),
    "other psychologist": (False, True),
    "care agent":         (False, False),
    "admin":              (True,  False),
}
# fmt: on


@pytest.mark.parametrize(
    ("who", "action", "allowed"),
    [
        pytest.param(who, action, allowed, id=f"{who}-{action}")
        for who, row in SCHEDULE_EXPECTED.items()
        for action, allowed in zip(SCHEDULE_ACTIONS, row, strict=True)
    ],
)
def test_schedule_table(who: str, action: str, allowed: bool) -> None:
    assert SCHEDULE_ACTIONS[action](WHO[who]) is allowed


def test_a_schedule_is_refused_to_other_roles_and_a_time_off_to_other_psychologists() -> None:
    for who in (OWNER, AGENT, ADMIN):
        with pytest.raises(Forbidden):
            policy.require_own_schedule(who)
    policy.require_own_schedule(PSYCHOLOGIST)
    mine = SimpleNamespace(psychologist_id=7)
    policy.require_own_time_off(7, mine)
    for pid, row in ((8, mine), (7, None)):
        with pytest.raises(NotVisible) as refused:
            policy.require_own_time_off(pid, row)
        assert refused.value.field == "id"
    assert policy.own_sessions_scope(7) == {"psychologist_id": 7}


# --- the partner's figures: admins only, a scoped admin sees their own partner -----------

PARTNER, OTHER_PARTNER = 7, 8


@pytest.mark.parametrize("who", list(WHO))
def test_partner_metrics_are_for_admins_only(who: str) -> None:
    caller = WHO[who]
    allowed = caller.role == Role.ADMIN
    assert policy.can_view_partner_metrics(caller) is allowed
    expected = None if allowed else FORBIDDEN
    assert _refusal(lambda: policy.require_partner_metrics(caller)) == expected
    assert _refusal(lambda: policy.partner_metrics_scope(caller, None, None)) == expected


def test_partner_metrics_scope() -> None:
    # an unscoped admin: the partner asked for, or every partner (None)
    assert policy.partner_metrics_scope(ADMIN, None, None) is None
    assert policy.partner_metrics_scope(ADMIN, None, OTHER_PARTNER) == OTHER_PARTNER
    # a scoped admin: their own partner, by default or by name; another is FORBIDDEN
    assert policy.partner_metrics_scope(ADMIN, PARTNER, None) == PARTNER
    assert policy.partner_metrics_scope(ADMIN, PARTNER, PARTNER) == PARTNER
    other = lambda: policy.partner_metrics_scope(ADMIN, PARTNER, OTHER_PARTNER)  # noqa: E731
    assert _refusal(other) == FORBIDDEN
