# ruff: noqa: RUF001 - Russian text
"""Every push text, in Russian, in one place: a title and a body per notification kind.

A push is read on a lock screen, by whoever holds the phone. So no text says who the
psychologist is, what the session or the chat is about, or anything a checkup found:
"Ваша сессия начнётся через 15 минут", never with whom or about what. The templates
have no placeholders at all, so nothing personal can be filled in by mistake; the app
opens the details after the person unlocks it and signs in.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.notify import NotificationKind


@dataclass(frozen=True)
class PushText:
    title: str
    body: str


TEMPLATES: dict[NotificationKind, PushText] = {
    NotificationKind.WELCOME: PushText(
        "Добро пожаловать",
        "Теперь у вас есть персональный ассистент: он поможет выбрать психолога и ответит "
        "на вопросы.",
    ),
    NotificationKind.BOOKING_CONFIRMED: PushText(
        "Запись подтверждена", "Вы записаны на сессию. Подробности — в приложении."
    ),
    NotificationKind.BOOKING_CANCELLED: PushText(
        "Запись отменена", "Ваша запись отменена. Подробности — в приложении."
    ),
    NotificationKind.PSYCHOLOGIST_CANCELLED: PushText(
        "Сессия отменена",
        "Психолог не сможет провести вашу сессию, запись отменена бесплатно. Подробности — в "
        "приложении.",
    ),
    NotificationKind.BOOKING_RESCHEDULED: PushText(
        "Запись перенесена", "Время вашей сессии изменилось. Подробности — в приложении."
    ),
    NotificationKind.REMINDER_24H: PushText("Напоминание", "Ваша сессия начнётся через 24 часа."),
    NotificationKind.REMINDER_15M: PushText("Скоро сессия", "Ваша сессия начнётся через 15 минут."),
    NotificationKind.CARE_REPLY: PushText(
        "Служба заботы", "Вам ответили в чате. Откройте приложение, чтобы прочитать."
    ),
    NotificationKind.CHECKUP_RESULTS: PushText(
        "Итоги встречи", "Рекомендации по итогам встречи готовы и ждут вас в приложении."
    ),
}


def text_for(kind: NotificationKind) -> PushText:
    return TEMPLATES[kind]
