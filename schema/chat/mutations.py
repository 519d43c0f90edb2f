"""Care chat mutations: send a message, mark read, take a conversation."""

from __future__ import annotations

from typing import ClassVar

import strawberry

from app.chat import service as svc
from schema.chat.types import CareConversation, ChatError, Message, message_id_from
from schema.common import user_errors
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


@strawberry.type
class SendMessagePayload:
    error_type: ClassVar[type] = ChatError
    message: Message | None = None
    errors: list[ChatError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkConversationReadInput:
    conversation_id: strawberry.ID
    up_to: str = strawberry.field(description="Cursor of the last message read.")


@strawberry.type
class MarkConversationReadPayload:
    error_type: ClassVar[type] = ChatError
    conversation: CareConversation | None = None
    errors: list[ChatError] = strawberry.field(default_factory=list)


@strawberry.input
class AssignConversationInput:
    conversation_id: strawberry.ID


@strawberry.type
class AssignConversationPayload:
    error_type: ClassVar[type] = ChatError
    conversation: CareConversation | None = None
    errors: list[ChatError] = strawberry.field(default_factory=list)


@strawberry.type
class ChatMutation:
    @strawberry.mutation(
        description="Send a message (client: own conversation; care team: any). Stored "
        "before it is delivered; limited to 20 messages per 10 seconds per author."
    )
    @user_errors(SendMessagePayload)
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        viewer = info.context.require_viewer()
        row = await svc.send_message(
            viewer,
            _conversation_id(input.conversation_id),
            input.text,
            input.client_message_id,
            sla_seconds=info.context.settings.care_sla_seconds,
        )
        return SendMessagePayload(message=Message.from_model(row))

    @strawberry.mutation(description="Mark the conversation read up to a message.")
    @user_errors(MarkConversationReadPayload)
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> MarkConversationReadPayload:
        viewer = info.context.require_viewer()
        row = await svc.mark_read(
            viewer, _conversation_id(input.conversation_id), message_id_from(input.up_to)
        )
        return MarkConversationReadPayload(conversation=CareConversation.from_model(row))

    @strawberry.mutation(description="Take a conversation (care agents and admins).")
    @user_errors(AssignConversationPayload)
    async def assign_conversation(
        self, info: Info, input: AssignConversationInput
    ) -> AssignConversationPayload:
        viewer = info.context.require_viewer()
        row = await svc.assign_conversation(viewer, _conversation_id(input.conversation_id))
        return AssignConversationPayload(conversation=CareConversation.from_model(row))
