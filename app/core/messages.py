# ruff: noqa: RUF001  (Russian text: its Cyrillic letters are meant)
"""Every message a user may see, in Russian (the default) and English: one catalogue.

Services raise with a ``Msg`` member (``Msg.SLOT_TAKEN``) or a ``Text`` that fills its
placeholders (``Msg.TOO_MANY_BOOKINGS(limit=3)``); the message is rendered in the
caller's language only at the edge (``schema.common``, ``schema.PublicErrors``), from
``Accept-Language`` over HTTP or ``connectionParams.locale`` over WebSocket
(``negotiate``). Codes never change with the language.

Each error code has a message of the same name (``for_code``): a ``Refused`` raised with
a code alone says that. ``tests/test_messages.py`` fails when a code has no message, when
a message misses a language, or when the two languages disagree on placeholders.

What stays English, for developers rather than users: graphql-core's syntax and
validation messages, the persisted-query protocol (Apollo matches its English message),
the plain-text HTTP refusals (400/413/415) and the WebSocket close reasons.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Locale(StrEnum):
    RU = "ru"
    EN = "en"


DEFAULT_LOCALE = Locale.RU
_LANGUAGE_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q=([0-9.]+))?")


def negotiate(accept_language: str | None, explicit: object = None) -> Locale:
    """The caller's language: ``explicit`` (``connectionParams.locale``) when it names one we
    speak, else the best of ``Accept-Language`` (RFC 9110 12.5.4: q-values, ``en-US``
    matches ``en``), else Russian."""
    if isinstance(explicit, str):
        chosen = _locale_of(explicit)
        if chosen is not None:
            return chosen
    if not accept_language or len(accept_language) > 512:
        return DEFAULT_LOCALE
    best: tuple[float, int, Locale] | None = None
    for position, part in enumerate(accept_language.split(",")[:32]):
        match = _LANGUAGE_RANGE.match(part)
        if match is None:
            continue
        try:
            q = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        locale = DEFAULT_LOCALE if match.group(1) == "*" else _locale_of(match.group(1))
        if locale is None or q <= 0:
            continue
        if best is None or q > best[0]:  # the first of equal q wins
            best = (q, position, locale)
    return best[2] if best is not None else DEFAULT_LOCALE


def locale_of(context: object) -> Locale:
    """The locale of a GraphQL context (ours has ``locale``; anything else: the default)."""
    locale = getattr(context, "locale", None)
    return locale if isinstance(locale, Locale) else DEFAULT_LOCALE


def _locale_of(tag: str) -> Locale | None:
    primary = tag.strip().split("-", 1)[0].lower()
    return Locale(primary) if primary in Locale._value2member_map_ else None


@dataclass(frozen=True)
class Text:
    """A catalogue message with its placeholders filled, rendered per locale."""

    msg: Msg
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: Locale = DEFAULT_LOCALE) -> str:
        template = self.msg.value[1] if locale is Locale.RU else self.msg.value[0]
        return _FORMATTER.format(template, **self.params)

    def __str__(self) -> str:  # logs and tracebacks: English
        return self.render(Locale.EN)


class Msg(Enum):
    """``NAME = (English, Russian)``; placeholders in ``{braces}``, the same in both."""

    # ---- codes of every error enum (for_code) ----------------------------------------
    # top level (app.core.errors.TopLevelCode)
    INTERNAL_SERVER_ERROR = ("Unexpected error.", "Непредвиденная ошибка.")
    UNAUTHENTICATED = (
        "Sign in first: this field needs an access token.",
        "Сначала войдите: для этого нужен токен доступа.",
    )
    FORBIDDEN = ("You may not do this.", "Это действие вам недоступно.")
    BAD_USER_INPUT = ("The arguments are not valid.", "Неверные аргументы запроса.")
    GRAPHQL_VALIDATION_FAILED = (
        "The query does not match the schema.",
        "Запрос не соответствует схеме.",
    )
    QUERY_TOO_COSTLY = (
        "This operation would cost {cost}, over the budget of {budget}: ask for fewer items "
        "(`first`/`last`) or fewer nested lists.",
        "Эта операция стоит {cost} при бюджете {budget}: запросите меньше элементов "
        "(`first`/`last`) или меньше вложенных списков.",
    )
    QUERY_TOO_LARGE = (
        "The document is too large; split it into smaller operations.",
        "Документ слишком велик; разбейте его на операции поменьше.",
    )
    TIMEOUT = (
        "The operation took longer than {seconds} s and was stopped; nothing it had not "
        "finished was saved.",
        "Операция шла дольше {seconds} с и была остановлена; ничего из незавершённого не "
        "сохранено.",
    )
    RATE_LIMITED = (
        "Too many attempts; try again in {seconds} s.",
        "Слишком много попыток; повторите через {seconds} с.",
    )
    UNAVAILABLE = (
        "The service is briefly unavailable; try again in a few seconds.",
        "Сервис ненадолго недоступен; повторите через несколько секунд.",
    )
    PERSISTED_QUERY_NOT_FOUND = ("PersistedQueryNotFound", "PersistedQueryNotFound")
    PERSISTED_QUERY_HASH_MISMATCH = (
        "The query's SHA-256 does not match sha256Hash.",
        "SHA-256 текста запроса не совпадает с sha256Hash.",
    )
    PERSISTED_QUERY_HASH_FORMAT = (
        "sha256Hash must be 64 lowercase hex digits.",
        "sha256Hash должен состоять из 64 шестнадцатеричных цифр в нижнем регистре.",
    )
    PERSISTED_QUERY_NOT_SUPPORTED = (
        "Only persisted query version 1 is supported.",
        "Поддерживается только версия 1 сохранённых запросов.",
    )
    PERSISTED_QUERY_NOT_IN_LIST = (
        "This operation is not registered: only trusted documents run here "
        "(python -m app documents add).",
        "Эта операция не зарегистрирована: здесь выполняются только доверенные документы "
        "(python -m app documents add).",
    )
    # HTTP refusals before there is a GraphQL request (app.web.dialect; their own texts
    # stay English, for developers: these are the codes' messages)
    BAD_REQUEST = ("The request is not a GraphQL request.", "Это не запрос GraphQL.")
    METHOD_NOT_ALLOWED = (
        "This method is not allowed here.",
        "Этот метод здесь не поддерживается.",
    )
    NOT_ACCEPTABLE = (
        "The Accept header allows none of our media types.",
        "Заголовок Accept не допускает ни одного из наших форматов ответа.",
    )
    REQUEST_TOO_LARGE = ("The request body is too large.", "Тело запроса слишком велико.")
    UNSUPPORTED_MEDIA_TYPE = (
        "The body must be application/json.",
        "Тело запроса должно быть в формате application/json.",
    )
    # booking (app.booking.errors.BookingErrorCode)
    SLOT_UNAVAILABLE = ("This time is no longer available.", "Это время уже недоступно.")
    SLOT_IN_PAST = ("This slot has already started.", "Это время уже наступило.")
    INVALID_SLOT = (
        "This is not a slot ID issued by this API.",
        "Это не идентификатор слота, выданный этим API.",
    )
    PSYCHOLOGIST_UNAVAILABLE = (
        "This psychologist is not taking bookings.",
        "Этот психолог сейчас не принимает записи.",
    )
    PROMO_CODE_INVALID = ("This promo code is not valid.", "Этот промокод недействителен.")
    PROMO_INVALID = ("This promo code is not valid.", "Такого промокода нет.")
    PROMO_EXPIRED = ("This promo code has expired.", "Срок действия промокода истёк.")
    PROMO_ALREADY_USED = (
        "This promo code has already been used.",
        "Этот промокод уже использован.",
    )
    PROMO_NOT_APPLICABLE = (
        "This promo code does not apply to this service.",
        "Этот промокод не действует для этой услуги.",
    )
    IDEMPOTENCY_KEY_REUSED = (
        "This idempotency key was already used for another slot; use a new key.",
        "Этот ключ идемпотентности уже использован для другого слота; возьмите новый ключ.",
    )
    TOO_MANY_BOOKINGS = (
        "You can hold at most {limit} upcoming bookings.",
        "Слишком много предстоящих записей: их может быть не больше, чем {limit}.",
    )
    OVERLAPS_OWN_BOOKING = (
        "You already have a booking at this time.",
        "У вас уже есть запись на это время.",
    )
    NOT_FOUND = ("Not found.", "Не найдено.")
    NOT_CANCELLABLE = (
        "Only upcoming confirmed bookings can be cancelled.",
        "Отменить можно только предстоящую подтверждённую запись.",
    )
    NOT_RESCHEDULABLE = (
        "Only upcoming confirmed bookings can be moved.",
        "Перенести можно только предстоящую подтверждённую запись.",
    )
    BOOKING_NOT_ENDED = ("The session has not ended yet.", "Сессия ещё не закончилась.")
    INVALID_STATUS = (
        "Only confirmed bookings can be closed.",
        "Закрыть можно только подтверждённую запись.",
    )
    INVALID_INPUT = ("The input is not valid.", "Неверные данные.")
    NOT_A_CHECKUP = ("This booking is not a checkup.", "Эта запись не чекап.")
    CHECKUP_NOT_STARTED = ("The checkup has not started yet.", "Чекап ещё не начался.")
    NOT_COMPLETED = (
        "A review can be left after a completed session.",
        "Отзыв можно оставить после состоявшейся сессии.",
    )
    ALREADY_REVIEWED = (
        "This session already has your review.",
        "Вы уже оставили отзыв об этой сессии.",
    )
    # schedule (app.booking.errors.ScheduleErrorCode)
    INVALID_TIME_ZONE = (
        "Not a time zone: use an IANA name such as Europe/Moscow.",
        "Неизвестный часовой пояс: укажите имя IANA, например Europe/Moscow.",
    )
    HOURS_OVERLAP = (
        "This interval overlaps another one of the same weekday.",
        "Этот интервал пересекается с другим интервалом того же дня недели.",
    )
    TIME_OFF_CONFLICTS = (
        "Confirmed sessions fall into this time off: see `conflicts`, or cancel them with "
        "cancelConflicting: true.",
        "На это время уже есть подтверждённые сессии: они в `conflicts`; отменить их можно "
        "с cancelConflicting: true.",
    )
    CHECKUP_STATUS = (
        "Only a confirmed checkup can be completed.",
        "Завершить можно только подтверждённый чекап.",
    )
    RECOMMENDATIONS_LENGTH = (
        "Recommendations take 1 to {limit} characters.",
        "Рекомендации: от 1 до {limit:символа/символов}.",
    )
    TOO_MANY_SUGGESTIONS = (
        "Suggest at most {limit} items.",
        "Предложите не больше {limit:пункта/пунктов}.",
    )
    UNKNOWN_SUGGESTION = (
        "Some suggested items do not exist.",
        "Некоторые из предложенных вариантов не найдены.",
    )
    RATING_RANGE = ("The rating is 1 to 5.", "Оценка: от 1 до 5.")
    REVIEW_TOO_LONG = (
        "A review holds at most {limit} characters.",
        "Отзыв не может быть длиннее {limit:символа/символов}.",
    )
    # vetting (app.catalogue.errors.VettingErrorCode; NOT_FOUND, INVALID_INPUT above)
    UNKNOWN_METHOD = ("No such method.", "Такого метода нет.")
    UNKNOWN_TOPIC = ("No such topic.", "Такой темы нет.")
    VETTING_INCOMPLETE = (
        "Not every admission rule is met: see the checklist.",
        "Выполнены не все условия допуска: см. чек-лист.",
    )
    VETTING_TRANSITION = (
        "This step is not possible from the vetting state {status}.",
        "Из состояния проверки {status} этот шаг невозможен.",
    )
    INTERVISION_ALREADY_RECORDED = (
        "Intervision of this month is already recorded.",
        "Интервизия за этот месяц уже отмечена.",
    )
    # chat (app.chat.errors.ChatErrorCode)
    EMPTY_MESSAGE = ("Write something first.", "Сначала напишите что-нибудь.")
    MESSAGE_TOO_LONG = (
        "A message holds at most {limit} characters.",
        "Сообщение не может быть длиннее {limit:символа/символов}.",
    )
    INVALID_CHARACTERS = (
        "The message holds control characters.",
        "В сообщении есть управляющие символы.",
    )
    INVALID_CLIENT_MESSAGE_ID = (
        "clientMessageId must be 1 to {limit} printable characters.",
        "clientMessageId должен содержать от 1 до {limit:печатного символа/печатных символов}.",
    )
    INVALID_CURSOR = (
        "upTo must be the cursor of a message of this conversation.",
        "upTo должен быть курсором сообщения из этого диалога.",
    )
    ALREADY_ASSIGNED = (
        "Another agent has taken this conversation.",
        "Этот диалог уже взял другой сотрудник.",
    )
    # identity (app.identity.errors.IdentityErrorCode)
    INVALID_TOKEN = ("The partner token is not valid.", "Токен партнёра недействителен.")
    TOKEN_TOO_LARGE = ("The token is larger than 8 KB.", "Токен больше 8 КБ.")
    TOKEN_EXPIRED = ("The token has expired.", "Срок действия токена истёк.")
    TOKEN_NOT_YET_VALID = ("The token is not valid yet.", "Токен ещё не действует.")
    TOKEN_LIFETIME_TOO_LONG = (
        "The token may live at most 10 minutes (exp - iat).",
        "Токен может действовать не больше 10 минут (exp - iat).",
    )
    TOKEN_REPLAYED = ("This token has already been used.", "Этот токен уже использован.")
    INVALID_PHONE = (
        "This phone number cannot sign in through a partner.",
        "С этим номером телефона нельзя войти через партнёра.",
    )
    INVALID_REFRESH_TOKEN = (
        "The refresh token is invalid or expired; sign in again.",
        "Токен обновления недействителен или истёк; войдите снова.",
    )
    REFRESH_TOKEN_REUSED = (
        "This refresh token was already used; the session has been ended. Sign in again.",
        "Этот токен обновления уже использован; сеанс завершён. Войдите снова.",
    )
    INVALID_CREDENTIALS = ("Wrong email or password.", "Неверный email или пароль.")

    # ---- booking ---------------------------------------------------------------------
    SLOT_TAKEN = (
        "This time was just taken by someone else.",
        "Это время только что занял кто-то другой.",
    )
    SERVICE_WITHDRAWN = ("This service is no longer offered.", "Эта услуга больше недоступна.")
    BOOKING_CHANGED = (
        "This booking has just changed; reload it.",
        "Запись только что изменилась; обновите её.",
    )
    RESCHEDULE_SAME_SERVICE = (
        "Pick a new time of the same psychologist and service; book anew otherwise.",
        "Выберите новое время у того же психолога на ту же услугу; иначе запишитесь заново.",
    )
    IDEMPOTENCY_KEY_LENGTH = (
        "idempotencyKey must be 1 to {limit} characters.",
        "idempotencyKey должен содержать от 1 до {limit:символа/символов}.",
    )
    REASON_TOO_LONG = (
        "reason is at most {limit} characters.",
        "Причина не может быть длиннее {limit:символа/символов}.",
    )
    NO_SUCH_BOOKING = ("No such booking.", "Такой записи нет.")
    AVAILABILITY_RANGE = ("`to` must be later than `from`.", "`to` должно быть позже `from`.")
    AVAILABILITY_WINDOW = (
        "The availability window is at most {days} days.",
        "Окно расписания не может быть длиннее {days:дня/дней}.",
    )
    NEEDS_UTC_OFFSET = (
        "`{field}` needs a UTC offset, e.g. 2026-05-01T10:00:00+03:00.",
        "В `{field}` нужно смещение от UTC, например 2026-05-01T10:00:00+03:00.",
    )
    # The title of a booking in the phone's calendar (app.booking.calendar_link): neutral,
    # whoever sees the phone's screen learns nothing of whom or what it is about.
    CALENDAR_EVENT = ("psyline session", "Консультация psyline")
    # ---- a psychologist's own schedule (app.booking.schedule) ----------------------
    PSYCHOLOGISTS_ONLY = (
        "Only psychologists have a schedule of their own.",
        "Собственное расписание есть только у психологов.",
    )
    NO_PSYCHOLOGIST_PROFILE = (
        "This account is not linked to a psychologist profile.",
        "Эта учётная запись не связана с профилем психолога.",
    )
    TOO_MANY_HOURS = (
        "At most {limit} working-hours intervals a week.",
        "В неделе не больше {limit:интервала/интервалов} рабочих часов.",
    )
    TIME_FORMAT = (
        "A time is HH:MM, 00:00 to 24:00, in steps of {step} minutes.",
        "Время указывается как ЧЧ:ММ, от 00:00 до 24:00, с шагом {step} минут.",
    )
    HOURS_ORDER = (
        "endTime must be later than startTime.",
        "endTime должно быть позже startTime.",
    )
    TIME_OFF_ORDER = ("endsAt must be later than startsAt.", "endsAt должно быть позже startsAt.")
    TIME_OFF_OVER = ("endsAt must be in the future.", "endsAt должно быть в будущем.")
    TIME_OFF_TOO_LONG = (
        "A time off lasts at most {days} days.",
        "Нерабочий период не может быть длиннее {days:дня/дней}.",
    )
    TOO_MANY_TIME_OFF = (
        "At most {limit} current and upcoming time offs; remove one first.",
        "Текущих и будущих нерабочих периодов может быть не больше {limit}; сначала удалите один.",
    )
    NO_SUCH_TIME_OFF = ("No such time off.", "Такого нерабочего периода нет.")
    CANCELLED_BY_PSYCHOLOGIST = (
        "Cancelled by the psychologist.",
        "Отменено психологом.",
    )
    # ---- catalogue -------------------------------------------------------------------
    NEGATIVE_PRICE = ("`maxPrice` must not be negative.", "`maxPrice` не может быть меньше нуля.")
    SEARCH_TOO_LONG = (
        "`search` is at most {limit} characters.",
        "`search` не может быть длиннее {limit:символа/символов}.",
    )
    WRONG_ID_TYPE = (
        "`{field}` holds an ID that is not a {type_name} ID.",
        "В `{field}` передан ID не типа {type_name}.",
    )
    # ---- vetting (app.catalogue.vetting) ---------------------------------------------
    NO_SUCH_PSYCHOLOGIST = ("No such psychologist.", "Такого психолога нет.")
    VETTING_ADMINS = (
        "Only admins vet psychologists.",
        "Проверкой психологов занимаются только администраторы.",
    )
    VETTING_TEXT_LENGTH = (
        "`{field}` takes 1 to {limit} characters.",
        "`{field}`: от 1 до {limit:символа/символов}.",
    )
    VETTING_BIO_LENGTH = (
        "`bio` is at most {limit} characters.",
        "`bio` не может быть длиннее {limit:символа/символов}.",
    )
    VETTING_TOO_MANY = (
        "`{field}` holds at most {limit} items.",
        "В `{field}` не больше {limit:элемента/элементов}.",
    )
    VETTING_TIME_ZONE = (
        "`timeZone` must be an IANA time zone, e.g. Europe/Moscow.",
        "`timeZone` должен быть часовым поясом IANA, например Europe/Moscow.",
    )
    VETTING_DATE_IN_FUTURE = (
        "`{field}` must not be in the future.",
        "`{field}` не может быть в будущем.",
    )
    VETTING_DATE_TOO_OLD = (
        "`{field}` is before {year}.",
        "`{field}` раньше {year} года.",
    )
    VETTING_HOURS = (
        "`hours` is 1 to {limit}.",
        "`hours`: от 1 до {limit}.",
    )
    VETTING_METHOD_NEEDED = (
        "A method certificate names its method (`methodId`).",
        "В сертификате метода нужно указать метод (`methodId`).",
    )
    VETTING_METHOD_UNEXPECTED = (
        "Only a method certificate names a method.",
        "Метод указывается только в сертификате метода.",
    )
    VETTING_KIND_INTERVISION = (
        "Intervision is recorded month by month with recordIntervision.",
        "Интервизия отмечается по месяцам через recordIntervision.",
    )
    VETTING_PANEL = (
        "The panel has 1 to {limit} experts, each named in 1 to {length} characters.",
        "В комиссии от 1 до {limit:эксперта/экспертов}, имя каждого — от 1 до {length} символов.",
    )
    VETTING_MONTH = (
        "`month` is a month, YYYY-MM (or a date in it), not in the future.",
        "`month` — месяц в виде YYYY-MM (или дата в нём), не в будущем.",
    )
    # the checklist (app.catalogue.vetting.checklist): one detail per rule and outcome
    RULE_DIPLOMA_MET = (
        "Diploma in psychology of {hours} h (at least {need} h).",
        "Диплом по психологии на {hours} ч (нужно не меньше {need} ч).",
    )
    RULE_DIPLOMA_UNMET = (
        "No diploma in psychology of at least {need} h (longest: {hours} h).",
        "Нет диплома по психологии не меньше чем на {need} ч (самый большой: {hours} ч).",
    )
    RULE_CERTIFICATE_MET = (
        "Certificate in {method} of {hours} h (at least {need} h).",
        "Сертификат по методу «{method}» на {hours} ч (нужно не меньше {need} ч).",
    )
    RULE_CERTIFICATE_UNMET = (
        "No certificate in a method of at least {need} h (longest: {hours} h).",
        "Нет сертификата по методу не меньше чем на {need} ч (самый большой: {hours} ч).",
    )
    RULE_PRACTICE_MET = (
        "Practice since {since}: {years} full years (at least {need}).",
        "Практика с {since}: полных лет — {years} (нужно не меньше {need}).",
    )
    RULE_PRACTICE_UNMET = (
        "Practice since {since}: {years} full years, {need} needed (from {due}).",
        "Практика с {since}: полных лет — {years}, нужно {need} (с {due}).",
    )
    RULE_PRACTICE_UNKNOWN = (
        "The date of the first documented practice is not recorded.",
        "Дата начала документально подтверждённой практики не указана.",
    )
    RULE_TEST_SESSION_MET = (
        "Test session passed on {held_on} before {panel}.",
        "Тестовая сессия пройдена {held_on}, комиссия: {panel}.",
    )
    RULE_TEST_SESSION_UNMET = (
        "No passed test session ({failed} failed).",
        "Нет пройденной тестовой сессии (не пройдено: {failed}).",
    )
    RULE_THERAPY_MET = (
        "{hours} h of personal therapy (at least {need} h).",
        "Личная терапия: {hours} ч (нужно не меньше {need} ч).",
    )
    RULE_THERAPY_UNMET = (
        "{hours} h of personal therapy, {need} h needed.",
        "Личная терапия: {hours} ч, нужно {need} ч.",
    )
    # ---- chat ------------------------------------------------------------------------
    CHAT_TOO_FAST = (
        "Too many messages at once; wait a few seconds and send again.",
        "Слишком много сообщений подряд; подождите несколько секунд и отправьте снова.",
    )
    NO_SUCH_CONVERSATION = ("No such conversation.", "Такого диалога нет.")
    CARE_STATS_RANGE = (
        "`from` and `to` need a UTC offset.",
        "В `from` и `to` нужно смещение от UTC.",
    )
    # ---- identity --------------------------------------------------------------------
    TOKEN_NOT_ACCEPTED = (
        "The token is not signed by an accepted partner key.",
        "Токен подписан не принятым ключом партнёра.",
    )
    TOKEN_NO_PHONE = (
        "The token has no usable phone_number claim.",
        "В токене нет пригодного поля phone_number.",
    )
    TOKEN_PHONE_INVALID = (
        "phone_number is not a phone number.",
        "phone_number не является номером телефона.",
    )
    TOKEN_PHONE_NOT_MOBILE = (
        "phone_number is not a valid mobile number.",
        "phone_number не является действующим мобильным номером.",
    )
    TOKEN_ALGORITHM = (
        "The token's algorithm is not accepted.",
        "Алгоритм подписи токена не принимается.",
    )
    TOKEN_CRITICAL_HEADER = (
        "The token uses an unsupported critical header.",
        "В токене неподдерживаемый критический заголовок.",
    )
    TOKEN_CLAIM_MALFORMED = (
        "The token's {claim} is malformed.",
        "Поле {claim} токена некорректно.",
    )
    TOKEN_NOT_JWT = ("The token is not a well-formed JWT.", "Токен не является корректным JWT.")
    TOKEN_AUDIENCE = (
        "The token is not meant for us (aud).",
        "Токен выпущен не для этого сервиса (aud).",
    )
    TOKEN_CLAIM_MISSING = (
        "The token lacks the required claim {claim}.",
        "В токене нет обязательного поля {claim}.",
    )
    TOKEN_SIGNATURE = ("The token's signature is invalid.", "Подпись токена недействительна.")
    TOKEN_DATES = (
        "exp, iat and nbf must be JSON numbers.",
        "exp, iat и nbf должны быть числами JSON.",
    )
    ACCESS_TOKEN_INVALID = ("Access token is invalid.", "Токен доступа недействителен.")
    ACCESS_TOKEN_EXPIRED = (
        "Access token has expired; refresh the session.",
        "Срок действия токена доступа истёк; обновите сеанс.",
    )
    BEARER_FORMAT = (
        "Authorization must be `Bearer <access token>`.",
        "Заголовок Authorization должен иметь вид `Bearer <токен доступа>`.",
    )
    SESSION_ENDED = ("The session has ended; sign in again.", "Сеанс завершён; войдите снова.")
    SOCKET_TOKEN_EXPIRED = (
        "Access token has expired; refresh the session and resubscribe with `after`.",
        "Срок действия токена доступа истёк; обновите сеанс и подпишитесь снова с `after`.",
    )
    # ---- policy ----------------------------------------------------------------------
    CLOSE_SESSION_FORBIDDEN = (
        "Only the psychologist or an admin can close a session.",
        "Закрыть сессию может только психолог или администратор.",
    )
    CONVERSATION_NOT_YOURS = (
        "No such conversation, or it is not yours.",
        "Такого диалога нет, или он не ваш.",
    )
    ONLY_CLIENTS_BOOK = (
        "Only clients book sessions; staff accounts cannot.",
        "Записываться на сессии могут только клиенты, а не сотрудники.",
    )
    CARE_TEAM_ONLY = ("Only the care team may do this.", "Это может только служба заботы.")
    REVIEW_STATS_ADMINS = (
        "Only admins may see the review statistics.",
        "Статистику отзывов видят только администраторы.",
    )
    CARE_STATS_ADMINS = (
        "Only admins may see the care statistics.",
        "Статистику службы заботы видят только администраторы.",
    )
    # ---- the partner's figures (app.kpi) ---------------------------------------------
    KPI_ADMINS = (
        "Only admins may see the partner's figures.",
        "Показатели партнёров видят только администраторы.",
    )
    KPI_OTHER_PARTNER = (
        "Your account sees the figures of its own partner only.",
        "Вашей учётной записи доступны показатели только её партнёра.",
    )
    KPI_NO_SUCH_PARTNER = ("No such partner.", "Такого партнёра нет.")
    KPI_PERIOD_ORDER = (
        "The period's end (`to`) must be later than its start (`from`).",
        "Конец периода (`to`) должен быть позже его начала (`from`).",
    )
    KPI_PERIOD_TOO_LONG = (
        "The period is at most {days} days long.",
        "Период не может быть длиннее {days:дня/дней}.",
    )
    # ---- paging and IDs --------------------------------------------------------------
    INVALID_PAGE_CURSOR = (
        "Invalid cursor: use a cursor returned by this connection.",
        "Неверный курсор: используйте курсор, полученный из этого же списка.",
    )
    INVALID_MESSAGE_CURSOR = (
        "Invalid cursor: use a message cursor returned by this API.",
        "Неверный курсор: используйте курсор сообщения, выданный этим API.",
    )
    WRONG_ORDER_CURSOR = (
        "Invalid cursor: it belongs to another ordering or list.",
        "Неверный курсор: он от другой сортировки или другого списка.",
    )
    INVALID_CONVERSATIONS_CURSOR = (
        "Invalid cursor: use a cursor returned by careConversations.",
        "Неверный курсор: используйте курсор, полученный из careConversations.",
    )
    INVALID_QUEUE_CURSOR = (
        "Invalid cursor: use a cursor returned by careQueue.",
        "Неверный курсор: используйте курсор, полученный из careQueue.",
    )
    NEGATIVE_ARGUMENT = ("`{name}` must not be negative.", "`{name}` не может быть меньше нуля.")
    FIRST_OR_LAST = (
        "Pass either `first` or `last`, not both.",
        "Передайте `first` или `last`, но не оба сразу.",
    )
    BEFORE_WITH_LAST = ("`before` goes with `last`.", "`before` передаётся вместе с `last`.")
    MALFORMED_ID = (
        "Malformed ID: it was not issued by this API.",
        "Неверный ID: он выдан не этим API.",
    )
    # push devices (app.notify.errors.PushDeviceErrorCode)
    INVALID_PUSH_TOKEN = (
        "The push token is not valid: letters, digits and : _ - . only (hexadecimal for iOS).",
        "Неверный токен push-уведомлений: только латинские буквы, цифры и : _ - . "
        "(для iOS — шестнадцатеричные цифры).",
    )
    PUSH_TOKEN_LENGTH = (
        "The push token must be {min} to {max} characters long.",
        "Длина токена push-уведомлений — от {min} до {max} символов.",
    )
    ONLY_CLIENTS_PUSH = (
        "Only clients register devices for push notifications.",
        "Устройства для push-уведомлений регистрируют только клиенты.",
    )
    # ---- the back office: catalogue edits (app.catalogue.errors.CatalogueEditErrorCode)
    INVALID_PRICE = ("The price is not valid.", "Неверная цена.")
    INVALID_DURATION = ("The duration is not valid.", "Неверная длительность.")
    SERVICE_KIND_TAKEN = (
        "The psychologist already has a service of this kind: edit that one (or offer it "
        "again with isActive).",
        "У психолога уже есть услуга этого вида: измените её (или верните через isActive).",
    )
    SLUG_TAKEN = ("This slug is already taken.", "Такой slug уже занят.")
    NO_SUCH_SERVICE = ("No such service.", "Такой услуги нет.")
    NO_SUCH_METHOD = ("There is no such method in the catalogue.", "Такого метода в каталоге нет.")
    NO_SUCH_TOPIC = ("There is no such topic in the catalogue.", "Такой темы в каталоге нет.")
    TEXT_REQUIRED = ("This field must not be empty.", "Это поле не может быть пустым.")
    TEXT_TOO_LONG = (
        "At most {limit} characters.",
        "Не длиннее {limit:символа/символов}.",
    )
    TEXT_CONTROL_CHARACTERS = (
        "The text holds control characters.",
        "В тексте есть управляющие символы.",
    )
    TOO_MANY_ITEMS = ("At most {limit} items.", "Не больше {limit:элемента/элементов}.")
    PRICE_RANGE = (
        "A price is 0 to {max}.",
        "Цена — от 0 до {max}.",
    )
    PRICE_DECIMALS = (
        "A price has at most two decimal places.",
        "У цены не больше двух знаков после запятой.",
    )
    DURATION_RULE = (
        "A duration is {min} to {max} minutes, in steps of {step}.",
        "Длительность — от {min} до {max} минут, с шагом {step}.",
    )
    SLUG_FORMAT = (
        "A slug is 1 to {limit} lower-case Latin letters and digits, words joined by hyphens.",
        "slug — от 1 до {limit:символа/символов}: строчные латинские буквы и цифры, слова "
        "через дефис.",
    )
    POSITION_RANGE = ("The position is 0 to {max}.", "Позиция — от 0 до {max}.")
    PHOTO_URL_FORMAT = (
        "The photo is an https:// URL or a path on this service (/avatars/...), without spaces.",
        "Фото — адрес https:// или путь на этом сервисе (/avatars/...), без пробелов.",
    )
    LANGUAGE_CODE = (
        "Languages are ISO 639 codes such as ru or en.",
        "Языки — коды ISO 639, например ru или en.",
    )
    CATALOGUE_ADMINS = (
        "Only admins may edit the catalogue.",
        "Изменять каталог могут только администраторы.",
    )
    AUDIT_LOG_ADMINS = (
        "Only admins may read the audit log.",
        "Журнал изменений видят только администраторы.",
    )
    AUDIT_SUBJECT_TYPE = (
        "subjectType is a type name of at most {limit} characters.",
        "subjectType — имя типа не длиннее {limit:символа/символов}.",
    )
    # ---- query size ------------------------------------------------------------------
    TOO_MANY_REPEATS = (
        "`{field}` is selected more than {limit} times in one place; select it once.",
        "`{field}` выбрано больше {limit:раза/раз} в одном месте; выберите его один раз.",
    )
    TOO_MANY_SELECTIONS = (
        "The document selects more than {limit} fields (fragments expanded); split it into "
        "smaller operations.",
        "Документ выбирает больше {limit:поля/полей} (с раскрытыми фрагментами); разбейте его "
        "на операции поменьше.",
    )

    def __call__(self, **params: object) -> Text:
        return Text(self, params)

    def render(self, locale: Locale = DEFAULT_LOCALE) -> str:
        return Text(self).render(locale)

    @property
    def placeholders(self) -> tuple[frozenset[str], frozenset[str]]:
        return (_placeholders(self.value[0]), _placeholders(self.value[1]))


Message = Msg | Text
"""What an error carries: a catalogue member, or one with its placeholders filled."""


def text_of(message: Message) -> Text:
    """The ``Text`` of a message; a literal string is a ``TypeError`` at the raise site."""
    if isinstance(message, Text):
        return message
    if isinstance(message, Msg):
        return Text(message)
    raise TypeError(f"messages come from the catalogue (Msg), not {type(message).__name__}")


def for_code(code: Enum) -> Msg:
    """The message of an error code: the catalogue member of the same name."""
    return Msg[code.name]


class _Formatter(string.Formatter):
    """``{n:дня/дней}`` agrees a Russian noun with the number (the genitive after
    "длиннее", "до", "больше": 1, 21, 101 take the first form); ``{n:день/дня/дней}`` the
    nominative (one / few / many). Plain ``{n}`` is formatted as usual."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "/" not in format_spec or not isinstance(value, int):
            return str(super().format_field(value, format_spec))
        return f"{value} {_plural(value, format_spec.split('/'))}"


def _plural(n: int, forms: list[str]) -> str:
    ends_in_one = n % 10 == 1 and n % 100 != 11
    if len(forms) == 2:
        return forms[0] if ends_in_one else forms[1]
    if ends_in_one:
        return forms[0]
    return forms[1] if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else forms[2]


_FORMATTER = _Formatter()


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def render_any(message: Any, locale: Locale) -> str:
    """``message`` rendered if it is a catalogue message, else as it is."""
    if isinstance(message, Msg | Text):
        return text_of(message).render(locale)
    return str(message)
