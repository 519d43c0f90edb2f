"""Push notifications (issue 13): the devices we push to and the outbox of notifications.

``Notification`` is the outbox: a row written in the same transaction as the event that
causes it (a booking, a sign-in, a reply), delivered later by the worker
(``app.notify.worker``). A reminder is a row with a due time, not a poll per user.
``PushDelivery`` records what each device answered, so that a restarted worker never
sends a notification again to a device that already has it.

No text is stored: a push's words come from ``app.notify.templates`` by its ``kind`` at
send time, and ``last_error`` is a short code (never a token, a phone number or a text).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.booking import Booking
    from models.identity import User


class PushPlatform(StrEnum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


class NotificationKind(StrEnum):
    WELCOME = "WELCOME"
    BOOKING_CONFIRMED = "BOOKING_CONFIRMED"
    BOOKING_CANCELLED = "BOOKING_CANCELLED"
    PSYCHOLOGIST_CANCELLED = "PSYCHOLOGIST_CANCELLED"  # the psychologist's time off, free
    BOOKING_RESCHEDULED = "BOOKING_RESCHEDULED"
    REMINDER_24H = "REMINDER_24H"
    REMINDER_15M = "REMINDER_15M"
    CARE_REPLY = "CARE_REPLY"
    CHECKUP_RESULTS = "CHECKUP_RESULTS"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"  # waiting for next_attempt_at (or claimed: its lease)
    SENT = "SENT"  # at least one device has it, every device has answered
    FAILED = "FAILED"  # final without a delivery: no device, or every device refused it
    DEAD = "DEAD"  # retried max_attempts times: the dead letter, for a human to look at
    CANCELLED = "CANCELLED"  # no longer wanted (its booking was cancelled or moved)


class DeliveryState(StrEnum):
    DELIVERED = "DELIVERED"  # the provider accepted it
    UNREGISTERED = "UNREGISTERED"  # the token was dead: the device was removed
    REJECTED = "REJECTED"  # never deliverable as it is (or no provider for the platform)


class PushDevice(Model):
    """A device token of a signed-in client. One row per token: registering a token that
    another user holds moves it (a new row, so the old owner's device id is never shown)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="push_devices", on_delete=fields.CASCADE
    )
    user_id: int
    platform = fields.CharEnumField(PushPlatform, max_length=8)
    token = fields.CharField(max_length=512, unique=True)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "push_devices"
        indexes = (("user_id", "id"),)


class Notification(Model):
    """One notification to one user: the outbox row the worker claims and delivers."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="notifications", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=24)
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "booking.Booking", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    booking_id: int | None
    due_at = fields.DatetimeField(description="when it is meant to arrive")
    status = fields.CharEnumField(
        NotificationStatus, max_length=16, default=NotificationStatus.PENDING
    )
    attempts = fields.SmallIntField(default=0, description="claims so far")
    next_attempt_at = fields.DatetimeField(description="due, retry or claim lease end")
    last_error = fields.CharField(max_length=64, null=True, description="a short code only")
    key = fields.CharField(max_length=120, unique=True, description="idempotency key")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("status", "next_attempt_at"), ("booking_id", "status"))


class PushDelivery(Model):
    """What one device answered for one notification, written as soon as it answered."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "notify.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    notification_id: int
    device: fields.ForeignKeyNullableRelation[PushDevice] = fields.ForeignKeyField(
        "notify.PushDevice", related_name="deliveries", null=True, on_delete=fields.SET_NULL
    )
    device_id: int | None
    state = fields.CharEnumField(DeliveryState, max_length=16)
    provider_message_id = fields.CharField(max_length=200, null=True)
    error = fields.CharField(max_length=64, null=True, description="the provider's short code")
    created_at = fields.DatetimeField()

    class Meta:
        table = "push_deliveries"
        unique_together = (("notification", "device"),)
