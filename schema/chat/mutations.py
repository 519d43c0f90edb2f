"""Care chat mutations: send a message, mark read, take a conversation."""

from __future__ import annotations

import strawberry

from app.chat import service as svc
from schema.chat.types import CareConversation, ChatError, Message, message_id_from
from schema.common import mutation, payload
from schema.context import Info
from schema.relay import decode_id


def _conversation_id(value: str) -> int | None:
    return decode_id(value, "CareConversation")


@strawberry.input(description="A message to the care conversation.")
class SendMessageInput:
    conversation_id: strawberry.ID
    text: str = strawberry.field(description="1 to 4000 characters after trimming.")
    client_message_id: str = strawberry.field(
        description="Chosen by the app, unique per author (at most 64 characters): "
        "resending with the same value returns the same message."
    )


@payload(ChatError)
class SendMessagePayload:
    message: Message | None = None


@strawberry.input
class MarkConversationReadInput:
    conversation_id: strawberry.ID
    up_to: str = strawberry.field(description="Cursor of the last message read.")


@payload(ChatError)
class MarkConversationReadPayload:
    conversation: CareConversation | None = None


@strawberry.input
class AssignConversationInput:
    conversation_id: strawberry.ID


@payload(ChatError)
class AssignConversationPayload:
    conversation: CareConversation | None = None


@strawberry.type
class ChatMutation:
    @mutation(
        description="Send a message (client: own conversation; care team: any). Stored "
        "before it is delivered; limited to 20 messages per 10 seconds per author."
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        viewer = info.context.require_viewer()
        row = await svc.send_message(
            viewer,
            _conversation_id(input.conversation_id),
            input.text,
            input.client_message_id,
            sla_seconds=info.context.settings.care_sla_seconds,
            broker=info.context.chat.pubsub,
            limiter=info.context.runtime.limits,
            presence=info.context.chat.presence,
        )
        return SendMessagePayload(message=Message.from_model(row))

    @mutation(description="Mark the conversation read up to a message.")
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> MarkConversationReadPayload:
        viewer = info.context.require_viewer()
        row = await svc.mark_read(
            viewer, _conversation_id(input.conversation_id), message_id_from(input.up_to)
        )
        return MarkConversationReadPayload(conversation=CareConversation.from_model(row))

    @mutation(description="Take a conversation (care agents and admins).")
    async def assign_conversation(
        self, info: Info, input: AssignConversationInput
    ) -> AssignConversationPayload:
        viewer = info.context.require_viewer()
        row = await svc.assign_conversation(
            viewer, _conversation_id(input.conversation_id), info.context.chat.pubsub
        )
        return AssignConversationPayload(conversation=CareConversation.from_model(row))
