# ruff: noqa: RUF001
"""Demo catalogue: a deterministic, realistic set of psychologists in Russian.

Everything comes from ``random.Random`` seeded with fixed values, per psychologist
index, so ``--psychologists 5`` gives the first five of the default 112 unchanged.
Re-running is harmless: methods, topics and psychologists are upserted by slug;
credentials, services, methods/topics links and reviews are written only for
psychologists created by this run (inside one transaction, so a half-done run
never leaves a psychologist without them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from app.catalogue import vetting
from app.catalogue.service import refresh_stats
from app.core import clock
from app.core.settings import Settings
from app.core.sql import db, placeholders
from models.catalogue import (
    Credential,
    IntervisionAttendance,
    Method,
    Psychologist,
    Review,
    Service,
    Topic,
    VettingTestSession,
    search_key,
)
from models.enums import ClientType, CredentialKind, ServiceKind, VettingStatus

DEFAULT_PSYCHOLOGISTS = 112

SEED = 20260214
CURRENT_YEAR = 2026  # fixed so that the generated data never depends on the clock
# Something for the back office to vet: one applicant whose documents are incomplete (no
# personal therapy on record), one with verified documents awaiting the test session.
UNAPPROVED: tuple[VettingStatus, ...] = (
    VettingStatus.APPLIED,
    VettingStatus.DOCUMENTS_VERIFIED,
    VettingStatus.REJECTED,
    VettingStatus.REJECTED,
    VettingStatus.SUSPENDED,
    VettingStatus.SUSPENDED,
)

# slug, name, description, institutions that certify it
METHODS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "cbt",
        "КПТ",
        "Когнитивно-поведенческая терапия: учимся замечать автоматические мысли и менять "
        "поведение. Краткосрочная, с домашними заданиями и измеримыми целями.",
        (
            "Ассоциация когнитивно-поведенческой психотерапии",
            "Институт когнитивно-поведенческой терапии (Санкт-Петербург)",
        ),
    ),
    (
        "psychoanalysis",
        "Психоанализ",
        "Исследование бессознательных мотивов и повторяющихся сценариев через свободные "
        "ассоциации и отношения с аналитиком. Долгосрочная глубинная работа.",
        (
            "Восточно-Европейский институт психоанализа",
            "Институт практической психологии и психоанализа",
        ),
    ),
    (
        "gestalt",
        "Гештальт-терапия",
        "Работа с тем, что происходит здесь и сейчас: чувства, телесные ощущения и контакт "
        "с другими. Помогает завершать незаконченные ситуации.",
        ("Московский гештальт институт", "Московский институт гештальта и психодрамы"),
    ),
    (
        "schema-therapy",
        "Схема-терапия",
        "Интегративный подход для глубинных жизненных паттернов, которые сложились в детстве "
        "и мешают во взрослой жизни.",
        ("Международное общество схема-терапии (ISST)",),
    ),
    (
        "emdr",
        "EMDR",
        "Десенсибилизация и переработка движением глаз: метод с доказанной эффективностью "
        "для работы с травматическим опытом.",
        ("EMDR Europe, сертификационная программа",),
    ),
    (
        "act",
        "ACT",
        "Терапия принятия и ответственности: учимся не бороться с трудными переживаниями, "
        "а действовать в соответствии со своими ценностями.",
        ("Ассоциация контекстуально-поведенческой науки (ACBS), российское отделение",),
    ),
    (
        "dbt",
        "DBT",
        "Диалектическая поведенческая терапия: навыки регуляции эмоций, устойчивости к "
        "стрессу и отношений с людьми.",
        ("Behavioral Tech, интенсивная программа DBT",),
    ),
    (
        "family-systemic",
        "Семейная системная терапия",
        "Смотрит на трудности через отношения в семье или паре целиком, а не через одного "
        "«виноватого». Часто проходит с несколькими членами семьи.",
        (
            "Институт интегративной семейной терапии",
            "Московский институт системной семейной терапии",
        ),
    ),
    (
        "existential",
        "Экзистенциальная терапия",
        "Про смысл, свободу, выбор и конечность жизни: помогает в кризисах и на развилках.",
        ("Институт экзистенциальной психологии и жизнетворчества",),
    ),
    (
        "person-centred",
        "Клиент-центрированная терапия",
        "Подход Карла Роджерса: безоценочное принятие и эмпатия, в которых человек сам "
        "находит свои ответы.",
        ("Институт клиент-центрированной психотерапии",),
    ),
    (
        "transactional-analysis",
        "Транзактный анализ",
        "Понятная модель «Родитель — Взрослый — Ребёнок» для анализа общения и жизненных "
        "сценариев.",
        ("Европейская ассоциация транзактного анализа (EATA)",),
    ),
    (
        "psychodrama",
        "Психодрама",
        "Проживание ситуаций в действии: ролевые игры и сцены, индивидуально или в группе.",
        ("Московский институт гештальта и психодрамы", "Институт психодрамы и ролевого тренинга"),
    ),
    (
        "psychodynamic",
        "Психодинамическая терапия",
        "Опирается на психоанализ, но короче и практичнее: связь прошлого опыта с "
        "сегодняшними трудностями.",
        ("Московский институт психоанализа",),
    ),
    (
        "art-therapy",
        "Арт-терапия",
        "Рисунок, лепка и другие творческие техники, когда словами сказать трудно. "
        "Хорошо работает с детьми и подростками.",
        ("Институт практической психологии «Иматон»",),
    ),
    (
        "solution-focused",
        "Краткосрочная терапия, ориентированная на решение",
        "Фокус не на проблеме, а на желаемом будущем и ресурсах: обычно 3–8 встреч.",
        ("Центр краткосрочной терапии",),
    ),
    (
        "body-oriented",
        "Телесно-ориентированная терапия",
        "Работа через тело: дыхание, движение и ощущения помогают справиться с напряжением "
        "и психосоматикой.",
        ("Институт телесно-ориентированной психотерапии",),
    ),
)

TOPICS: tuple[tuple[str, str], ...] = (
    ("anxiety", "Тревога"),
    ("panic-attacks", "Панические атаки"),
    ("depression", "Депрессия и апатия"),
    ("burnout", "Выгорание"),
    ("stress", "Стресс"),
    ("self-esteem", "Самооценка"),
    ("relationships", "Отношения в паре"),
    ("breakup", "Расставание и развод"),
    ("loneliness", "Одиночество"),
    ("grief", "Горе и утрата"),
    ("family-conflicts", "Семейные конфликты"),
    ("parenting", "Детско-родительские отношения"),
    ("meaning", "Поиск себя и смысла"),
    ("career", "Карьера и профессиональное самоопределение"),
    ("procrastination", "Прокрастинация"),
    ("psychosomatics", "Психосоматика"),
    ("eating", "Расстройства пищевого поведения"),
    ("trauma", "Травматический опыт"),
    ("codependency", "Зависимость и созависимость"),
    ("anger", "Гнев и эмоциональная регуляция"),
    ("motherhood", "Беременность и материнство"),
    ("relocation", "Переезд и адаптация"),
    ("midlife", "Возрастные кризисы"),
    ("teenagers", "Подростковые трудности"),
    ("sleep", "Сон и бессонница"),
    ("sexuality", "Сексуальность"),
)
TOPIC_NAMES = dict(TOPICS)

FEMALE_FIRST = (
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Екатерина", "Ирина",
    "Светлана", "Юлия", "Дарья", "Ксения", "Алина", "Виктория", "Полина", "Анастасия",
    "Марина", "Евгения", "Вера", "Софья", "Алёна", "Кристина", "Надежда", "Людмила",
    "Валерия", "Александра", "Элина", "Диана", "Галина", "Лариса",
)  # fmt: skip
MALE_FIRST = (
    "Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил", "Иван", "Павел", "Артём",
    "Николай", "Максим", "Игорь", "Владимир", "Роман", "Кирилл", "Егор", "Денис",
)  # fmt: skip
# (masculine, feminine)
SURNAMES = (
    ("Ковалёв", "Ковалёва"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"), ("Васильев", "Васильева"), ("Соколов", "Соколова"),
    ("Михайлов", "Михайлова"), ("Новиков", "Новикова"), ("Фёдоров", "Фёдорова"),
    ("Морозов", "Морозова"), ("Волков", "Волкова"), ("Алексеев", "Алексеева"),
    ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"), ("Егоров", "Егорова"),
    ("Павлов", "Павлова"), ("Козлов", "Козлова"), ("Степанов", "Степанова"),
    ("Николаев", "Николаева"), ("Орлов", "Орлова"), ("Андреев", "Андреева"),
    ("Макаров", "Макарова"), ("Никитин", "Никитина"), ("Захаров", "Захарова"),
    ("Зайцев", "Зайцева"), ("Соловьёв", "Соловьёва"), ("Борисов", "Борисова"),
    ("Яковлев", "Яковлева"), ("Григорьев", "Григорьева"), ("Романов", "Романова"),
    ("Воробьёв", "Воробьёва"), ("Сергеев", "Сергеева"), ("Кириллов", "Кириллова"),
    ("Белов", "Белова"), ("Тарасов", "Тарасова"), ("Беляев", "Беляева"),
    ("Комаров", "Комарова"), ("Киселёв", "Киселёва"), ("Медведев", "Медведева"),
    ("Ершов", "Ершова"), ("Гончаров", "Гончарова"), ("Титов", "Титова"),
    ("Калинин", "Калинина"), ("Филиппов", "Филиппова"), ("Громов", "Громова"),
    ("Щербаков", "Щербакова"), ("Виноградов", "Виноградова"), ("Богданов", "Богданова"),
    ("Воронцов", "Воронцова"), ("Широков", "Широкова"), ("Жуков", "Жукова"),
    ("Голубев", "Голубева"), ("Миронов", "Миронова"), ("Ильин", "Ильина"),
    ("Гусев", "Гусева"), ("Тихонов", "Тихонова"), ("Дмитриев", "Дмитриева"),
    ("Абрамов", "Абрамова"), ("Поляков", "Полякова"), ("Давыдов", "Давыдова"),
)  # fmt: skip

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),  # noqa: SIM905
        strict=True,
    )
)
_TRANSLIT.update({"ъ": "", "ь": ""})

TIME_ZONES: tuple[tuple[str, int], ...] = (
    ("Europe/Kaliningrad", 4),
    ("Europe/Moscow", 55),
    ("Europe/Samara", 6),
    ("Asia/Yekaterinburg", 10),
    ("Asia/Omsk", 4),
    ("Asia/Novosibirsk", 8),
    ("Asia/Krasnoyarsk", 4),
    ("Asia/Irkutsk", 4),
    ("Asia/Vladivostok", 5),
)
EXTRA_LANGUAGES: tuple[tuple[str, int], ...] = (
    ("en", 30),
    ("uk", 4),
    ("de", 4),
    ("fr", 3),
    ("es", 2),
    ("hy", 2),
    ("tt", 2),
    ("he", 1),
)

UNIVERSITIES = (
    "МГУ имени М. В. Ломоносова",
    "Санкт-Петербургский государственный университет",
    "Московский государственный психолого-педагогический университет",
    "НИУ «Высшая школа экономики»",
    "Уральский федеральный университет",
    "Новосибирский государственный университет",
    "Томский государственный университет",
    "Казанский федеральный университет",
    "РГПУ имени А. И. Герцена",
    "Дальневосточный федеральный университет",
    "Самарский университет",
    "Южный федеральный университет",
)
RETRAINING = (
    "Институт практической психологии и психоанализа",
    "Московский институт психоанализа",
    "Институт психотерапии и клинической психологии",
    "Национальный институт современной психологии",
)
SUPERVISION_BODIES = (
    "Общероссийская профессиональная психотерапевтическая лига",
    "Российское психологическое общество",
    "Ассоциация когнитивно-поведенческой психотерапии",
    "Московский гештальт институт",
    "Европейская ассоциация психотерапии",
)


@dataclass
class Profile:
    index: int
    slug: str
    full_name: str
    female: bool
    status: VettingStatus
    practice_since: int
    timezone: str
    languages: list[str]
    client_types: list[ClientType]
    methods: list[str]  # slugs, the first is the main one
    topics: list[str]
    session_price: Decimal
    bio: str = ""
    credentials: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[tuple[int, str, float]] = field(default_factory=list)  # rating, text, days ago


def slugify(name: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in name.lower().replace(" ", "-"))


def _names() -> list[tuple[str, str, bool]]:
    """All (first, last, female) pairs in a fixed shuffled order (4 in 5 are women)."""
    rng = random.Random(SEED)
    women = [(f, s[1], True) for f in FEMALE_FIRST for s in SURNAMES]
    men = [(f, s[0], False) for f in MALE_FIRST for s in SURNAMES]
    rng.shuffle(women)
    rng.shuffle(men)
    out: list[tuple[str, str, bool]] = []
    wi = mi = 0
    per_surname: dict[str, int] = {}
    while wi < len(women) and mi < len(men):
        if rng.random() < 0.8:
            candidate, wi = women[wi], wi + 1
        else:
            candidate, mi = men[mi], mi + 1
        # Varied surnames: each is used once before any is used twice, and so on.
        surname = candidate[1][:-1] if candidate[2] else candidate[1]
        if per_surname.get(surname, 0) > len(out) // len(SURNAMES):
            continue
        per_surname[surname] = per_surname.get(surname, 0) + 1
        out.append(candidate)
    return out


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _round(value: float, step: int) -> Decimal:
    return Decimal(round(value / step) * step)


def _bio(p: Profile, rng: random.Random) -> str:
    method_names = [METHODS_BY_SLUG[m][1] for m in p.methods]
    main = method_names[0]
    topics = [TOPIC_NAMES[t].lower() for t in p.topics[:3]]
    exp = CURRENT_YEAR - p.practice_since
    opener = rng.choice(
        (
            f"Практикующий психолог, работаю в подходе «{main}».",
            f"Психолог-консультант, основной метод — {main}.",
            f"Сертифицированный специалист: {main}"
            + (f" и {method_names[1]}." if len(method_names) > 1 else "."),
            f"Помогаю взрослым{' и детям' if ClientType.CHILD in p.client_types else ''} "
            f"справляться с трудностями в подходе «{main}».",
        )
    )
    with_whom = f"Чаще всего ко мне приходят с темами: {', '.join(topics)}."
    style = rng.choice(
        (
            "На первой встрече вместе сформулируем запрос и договоримся о целях.",
            "В работе бережно отношусь к темпу клиента и опираюсь на его ресурсы.",
            "Даю понятные инструменты, которые можно использовать между сессиями.",
            "Создаю безопасное пространство, где можно говорить о самом трудном.",
            "Работаю структурированно: цели, обратная связь и регулярная оценка прогресса.",
        )
    )
    experience = f"Опыт практики — {exp} {_years(exp)}; регулярно прохожу супервизию."
    extras = []
    if ClientType.COUPLE in p.client_types:
        extras.append("Консультирую пары.")
    if ClientType.BUSINESS in p.client_types:
        extras.append("Веду корпоративные консультации по профилактике выгорания.")
    if "en" in p.languages:
        extras.append("Возможны консультации на английском языке.")
    return " ".join([opener, with_whom, style, experience, *extras])


def _years(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "год"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "года"
    return "лет"


METHODS_BY_SLUG = {m[0]: m for m in METHODS}

REVIEW_OPENERS = (
    "Спасибо за чуткость и профессионализм.",
    "Очень благодарна за работу.",
    "Пришла с запросом про {topic}, и уже после нескольких встреч стало заметно легче.",
    "Первый раз обратился к психологу и не пожалел.",
    "Долго не решалась записаться, но всё оказалось проще, чем казалось.",
    "Занимаемся уже несколько месяцев.",
    "Выбирала специалиста по отзывам и не ошиблась.",
    "Была на экспресс-встрече, потом осталась на постоянную работу.",
)
REVIEW_MIDDLES = (
    "Бережно, без оценок, с хорошими вопросами, которые заставляют задуматься.",
    "На сессиях удалось разобраться, что на самом деле стоит за моей тревогой.",
    "Получил конкретные упражнения, которые помогают в сложные дни.",
    "Чувствуется глубокая экспертиза и уважение к клиенту.",
    "Стало гораздо проще выстраивать границы на работе и дома.",
    "Наконец-то начала высыпаться и перестала прокручивать одни и те же мысли.",
    "Очень удобно, что встречи проходят прямо в приложении клиники.",
    "Всегда вовремя, связь хорошая, никаких технических проблем.",
    "Помогли пережить очень тяжёлый период.",
    "Отношения с партнёром стали спокойнее, мы научились договариваться.",
)
REVIEW_CLOSERS = (
    "Рекомендую!",
    "Продолжаем работу.",
    "Спасибо!",
    "Буду рекомендовать друзьям.",
    "",
)
REVIEW_MIXED = (
    "В целом полезно, но мне не хватило структуры и домашних заданий.",
    "Специалист хороший, но пару раз встреча начиналась с опозданием.",
    "Нормально, но я ожидал более конкретных советов.",
    "Подход оказался не совсем моим, хотя специалист внимательный и вежливый.",
)


def _review_text(rng: random.Random, rating: int, p: Profile) -> str:
    if rating <= 3:
        return rng.choice(REVIEW_MIXED)
    if rng.random() < 0.12:
        return ""  # a rating without text
    topic = TOPIC_NAMES[rng.choice(p.topics)].lower()
    parts = [rng.choice(REVIEW_OPENERS).format(topic=topic), rng.choice(REVIEW_MIDDLES)]
    closer = rng.choice(REVIEW_CLOSERS)
    if closer:
        parts.append(closer)
    return " ".join(parts)


def _credentials(p: Profile, rng: random.Random) -> list[dict[str, Any]]:
    creds: list[dict[str, Any]] = []
    diploma_year = p.practice_since - rng.randint(0, 3)
    if rng.random() < 0.65:
        title, hours = rng.choice(
            (
                ("Диплом специалиста «Психология»", 8640),
                ("Диплом бакалавра «Психология»", 8640),
                ("Диплом магистра «Психологическое консультирование»", 4320),
                ("Диплом специалиста «Клиническая психология»", 10800),
            )
        )
        institution = rng.choice(UNIVERSITIES)
    else:
        title = "Диплом о профессиональной переподготовке «Практическая психология»"
        hours = rng.choice((1100, 1200, 1250, 1500, 1800))
        institution = rng.choice(RETRAINING)
    creds.append(
        {
            "kind": CredentialKind.DIPLOMA,
            "title": title,
            "institution": institution,
            "hours": hours,
            "year": diploma_year,
        }
    )
    for n, slug in enumerate(p.methods):
        _slug, name, _desc, institutes = METHODS_BY_SLUG[slug]
        main = n == 0
        creds.append(
            {
                "kind": CredentialKind.METHOD_CERTIFICATE,
                "title": f"Сертификат: {name}" + ("" if main else " (дополнительная программа)"),
                "method": slug,  # the method certified (the vetting rule needs it)
                "institution": rng.choice(institutes),
                "hours": rng.choice((700, 720, 800, 960, 1100, 1300))
                if main
                else rng.choice((144, 216, 288, 360, 500)),
                "year": min(
                    CURRENT_YEAR - 1, p.practice_since + (1 if main else rng.randint(2, 8))
                ),
            }
        )
    therapy = {
        "kind": CredentialKind.PERSONAL_THERAPY,
        "title": "Личная терапия",
        "institution": "Индивидуальная терапия у сертифицированного специалиста",
        "hours": rng.choice((150, 180, 220, 260, 300, 400, 520)),
        "year": CURRENT_YEAR - 1,
    }
    if p.status != VettingStatus.APPLIED:  # the applicant has not documented it yet
        creds.append(therapy)
    creds.append(
        {
            "kind": CredentialKind.SUPERVISION,
            "title": "Индивидуальная и групповая супервизия",
            "institution": rng.choice(SUPERVISION_BODIES),
            "hours": rng.choice((50, 80, 100, 120, 160, 240)),
            "year": CURRENT_YEAR - 1,
        }
    )
    creds.append(
        {
            "kind": CredentialKind.INTERVISION,
            "title": "Ежемесячная интервизия",
            "institution": "Интервизионная группа сервиса",
            "hours": None,
            "year": CURRENT_YEAR,
        }
    )
    return creds


def _services(p: Profile, rng: random.Random) -> list[dict[str, Any]]:
    price = p.session_price
    services = [
        {
            "kind": ServiceKind.SESSION,
            "title": "Индивидуальная консультация",
            "duration_minutes": 50,
            "price": price,
        }
    ]
    if ClientType.COUPLE in p.client_types:
        services.append(
            {
                "kind": ServiceKind.COUPLE_SESSION,
                "title": "Консультация для пары",
                "duration_minutes": 80,
                "price": _round(float(price) * 1.5, 500),
            }
        )
    if ClientType.CHILD in p.client_types:
        services.append(
            {
                "kind": ServiceKind.CHILD_SESSION,
                "title": "Консультация ребёнка или подростка",
                "duration_minutes": 50,
                "price": price,
            }
        )
    if rng.random() < 0.7:
        services.append(
            {
                "kind": ServiceKind.CHECKUP,
                "title": "Чекап: экспресс-встреча 30 минут",
                "duration_minutes": 30,
                "price": max(Decimal(990), _round(float(price) * 0.45, 100)),
            }
        )
    return services


def build_profile(index: int, status: VettingStatus, name: tuple[str, str, bool]) -> Profile:
    rng = random.Random(f"psyline-demo-{SEED}-{index}")
    first, last, female = name
    full_name = f"{first} {last}"
    practice_since = CURRENT_YEAR - min(28, max(3, int(rng.triangular(3, 26, 8))))
    experience = CURRENT_YEAR - practice_since
    client_types = [ClientType.ADULT]
    if rng.random() < 0.3:
        client_types.append(ClientType.COUPLE)
    if rng.random() < 0.22:
        client_types.append(ClientType.CHILD)
    if rng.random() < 0.15:
        client_types.append(ClientType.BUSINESS)
    languages = ["ru"]
    for lang, weight in EXTRA_LANGUAGES:
        if rng.random() < weight / 100:
            languages.append(lang)
    method_slugs = [m[0] for m in METHODS]
    main_weights = [14, 7, 10, 5, 4, 5, 3, 6, 4, 4, 4, 2, 5, 3, 3, 3]
    main = rng.choices(method_slugs, weights=main_weights)[0]
    others = rng.sample([m for m in method_slugs if m != main], k=rng.choice((0, 1, 1, 2)))
    topic_slugs = [t[0] for t in TOPICS]
    adult_topics = [t for t in topic_slugs if t not in ("teenagers", "parenting")]
    topics = rng.sample(adult_topics, k=rng.randint(3, 7))
    if ClientType.CHILD in client_types:
        topics += ["parenting", "teenagers"]
    if ClientType.COUPLE in client_types and "relationships" not in topics:
        topics.append("relationships")
    # Price: grows with experience, with a premium tail; 1,500-9,000 RUB.
    base = 1300 + experience * 230 + rng.gauss(0, 900)
    if rng.random() < 0.1:
        base += 3000
    session_price = _round(min(9000, max(1500, base)), 500 if base > 5000 else 100)
    slug = slugify(full_name)
    p = Profile(
        index=index,
        slug=slug,
        full_name=full_name,
        female=female,
        status=status,
        practice_since=practice_since,
        timezone=_weighted(rng, TIME_ZONES),
        languages=languages,
        client_types=client_types,
        methods=[main, *others],
        topics=[t for t in topic_slugs if t in topics],  # display order
        session_price=session_price,
    )
    p.bio = _bio(p, rng)
    p.credentials = _credentials(p, rng)
    p.services = _services(p, rng)
    if status in (VettingStatus.APPROVED, VettingStatus.SUSPENDED):
        count = min(40, int(rng.expovariate(1 / 9)))
        for _ in range(count):
            rating = rng.choices((5, 4, 3, 2, 1), weights=(74, 19, 5, 1.5, 0.5))[0]
            days_ago = rng.uniform(0.2, 365)
            p.reviews.append((rating, _review_text(rng, rating, p), days_ago))
    return p


def demo_profiles(approved: int) -> list[Profile]:
    """``approved`` visible psychologists, then the fixed set of unapproved ones."""
    names = _names()
    if approved + len(UNAPPROVED) > len(names):
        raise ValueError(f"at most {len(names) - len(UNAPPROVED)} demo psychologists")
    profiles = [build_profile(i, VettingStatus.APPROVED, names[i]) for i in range(approved)]
    for n, status in enumerate(UNAPPROVED):
        # Taken from the end of the name list: never collide with approved ones.
        index = len(names) - 1 - n
        profiles.append(build_profile(index, status, names[index]))
    return profiles


async def _upsert_reference(model: type[Method] | type[Topic], rows: list[dict[str, Any]]) -> None:
    existing = {r.slug: r for r in await model.all()}
    new = []
    for row in rows:
        current = existing.get(row["slug"])
        if current is None:
            new.append(model(**row))
        elif any(getattr(current, k) != v for k, v in row.items()):
            await model.filter(id=current.id).update(**row)
    if new:
        await model.bulk_create(new)  # type: ignore[arg-type]


def _psychologist_fields(p: Profile) -> dict[str, Any]:
    return {
        "full_name": p.full_name,
        "search_name": search_key(p.full_name),
        "photo_url": f"/avatars/{p.slug}.svg",
        "bio": p.bio,
        "practice_since": p.practice_since,
        "practice_started_on": date(p.practice_since, 1, 1),
        "languages": p.languages,
        "client_types_csv": "," + ",".join(c.value for c in p.client_types) + ",",
        "timezone": p.timezone,
        "vetting_status": p.status,
    }


async def _insert_links(table: str, column: str, pairs: list[tuple[int, int]]) -> None:
    if not pairs:
        return
    await db().execute_many(
        f"INSERT INTO {table} (psychologist_id, {column}) VALUES ({placeholders(2)})",  # noqa: S608
        [list(pair) for pair in pairs],
    )


def _credential(pid: int, c: dict[str, Any], methods: dict[str, int], now: datetime) -> Credential:
    fields = {k: v for k, v in c.items() if k != "method"}
    method = c.get("method")
    return Credential(
        psychologist_id=pid,
        method_id=methods[method] if method else None,
        recorded_at=now,
        **fields,
    )


DEMO_PANEL = ["Ирина Васнецова", "Олег Миронов", "Анна Кречет"]
APPROVED_DAYS_AGO = 75  # demo approvals: two full months of intervision due


async def _vetting_record(fresh: list[Profile], ids: dict[str, int], now: datetime) -> None:
    """What vetting leaves behind (app.catalogue.vetting): a passed test session for the
    psychologists past DOCUMENTS_VERIFIED, an approval date and the intervision months
    attended since (every fifth approved psychologist missed the last month, for the
    back office's flag)."""
    sessions = [
        VettingTestSession(
            psychologist_id=ids[p.slug],
            passed=True,
            panel=DEMO_PANEL,
            held_on=(now - timedelta(days=APPROVED_DAYS_AGO + 7)).date(),
            recorded_at=now,
        )
        for p in fresh
        if p.status in (VettingStatus.APPROVED, VettingStatus.SUSPENDED)
    ]
    await VettingTestSession.bulk_create(sessions)
    approved_at = now - timedelta(days=APPROVED_DAYS_AGO)
    approved = [p for p in fresh if p.status in (VettingStatus.APPROVED, VettingStatus.SUSPENDED)]
    if not approved:
        return
    await Psychologist.filter(id__in=[ids[p.slug] for p in approved]).update(
        approved_at=approved_at
    )
    months = vetting.due_months(approved_at, now.date())
    await IntervisionAttendance.bulk_create(
        [
            IntervisionAttendance(psychologist_id=ids[p.slug], month=m, recorded_at=now)
            for p in approved
            for n, m in enumerate(months)
            if not (p.index % 5 == 0 and n == len(months) - 1)
        ]
    )


async def seed_catalogue(settings: Settings, psychologists: int = DEFAULT_PSYCHOLOGISTS) -> str:
    """Demo step: ``psychologists`` approved profiles (112: the case study's catalogue)."""
    profiles = demo_profiles(psychologists)
    now = clock.now().replace(microsecond=0)
    async with in_transaction():
        await _upsert_reference(
            Method,
            [
                {"slug": slug, "name": name, "description": desc, "position": n}
                for n, (slug, name, desc, _inst) in enumerate(METHODS)
            ],
        )
        await _upsert_reference(
            Topic,
            [{"slug": slug, "name": name, "position": n} for n, (slug, name) in enumerate(TOPICS)],
        )
        existing = {
            r["slug"]: r
            for r in await Psychologist.filter(slug__in=[p.slug for p in profiles]).values()
        }
        fresh = [p for p in profiles if p.slug not in existing]
        for p in profiles:
            current = existing.get(p.slug)
            if current is None:
                continue
            wanted = _psychologist_fields(p)
            if any(current[k] != v for k, v in wanted.items()):
                await Psychologist.filter(id=current["id"]).update(**wanted)
        if fresh:
            await Psychologist.bulk_create(
                [Psychologist(slug=p.slug, **_psychologist_fields(p)) for p in fresh]
            )
            ids = dict(
                await Psychologist.filter(slug__in=[p.slug for p in fresh]).values_list(
                    "slug", "id"
                )
            )
            methods = dict(await Method.all().values_list("slug", "id"))
            topics = dict(await Topic.all().values_list("slug", "id"))
            await _insert_links(
                "psychologist_methods",
                "method_id",
                [(ids[p.slug], methods[m]) for p in fresh for m in p.methods],
            )
            await _insert_links(
                "psychologist_topics",
                "topic_id",
                [(ids[p.slug], topics[t]) for p in fresh for t in p.topics],
            )
            await Credential.bulk_create(
                [_credential(ids[p.slug], c, methods, now) for p in fresh for c in p.credentials]
            )
            await _vetting_record(fresh, ids, now)
            await Service.bulk_create(
                [Service(psychologist_id=ids[p.slug], **s) for p in fresh for s in p.services]
            )
            # Chronological order: review ids grow with created_at (the reviews connection
            # pages by id, newest first).
            reviews = sorted(
                (
                    (now - timedelta(days=days_ago), ids[p.slug], rating, text)
                    for p in fresh
                    for rating, text, days_ago in p.reviews
                ),
                key=lambda r: (r[0], r[1]),
            )
            await Review.bulk_create(
                [
                    Review(psychologist_id=pid, rating=rating, text=text, created_at=at)
                    for at, pid, rating, text in reviews
                ],
                batch_size=500,
            )
        await refresh_stats()
    approved = sum(p.status == VettingStatus.APPROVED for p in profiles)
    return (
        f"catalogue: {approved} approved and {len(profiles) - approved} unapproved "
        f"psychologists ({len(fresh)} new), {len(METHODS)} methods, {len(TOPICS)} topics"
    )
