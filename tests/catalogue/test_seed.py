"""The demo catalogue: deterministic, realistic, vetted, and harmless to re-run."""

from __future__ import annotations

import sqlite3
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core.settings import Settings
from app.demo.catalogue import (
    METHODS,
    TIME_ZONES,
    TOPICS,
    UNAPPROVED,
    demo_profiles,
    seed_catalogue,
)
from app.demo.seed import DEMO_IN_PRODUCTION, seed_demo
from models.catalogue import Credential, Method, Psychologist, Review, Service, Topic
from models.enums import CredentialKind, ServiceKind, VettingStatus
from tests.helpers import dev_env, run_in_checkout


def test_profiles_are_deterministic_and_a_smaller_run_is_a_prefix() -> None:
    full = demo_profiles(112)
    assert [p.slug for p in full] == [p.slug for p in demo_profiles(112)]
    assert [(p.bio, p.session_price, p.reviews) for p in full] == [
        (p.bio, p.session_price, p.reviews) for p in demo_profiles(112)
    ]
    small = demo_profiles(5)
    assert [p.slug for p in small[:5]] == [p.slug for p in full[:5]]
    assert [p.slug for p in small[5:]] == [p.slug for p in full[112:]]  # the unapproved
    assert len({p.slug for p in full}) == len({p.full_name for p in full}) == 112 + len(UNAPPROVED)


def test_the_demo_catalogue_looks_like_the_real_one() -> None:
    profiles = demo_profiles(112)
    approved = [p for p in profiles if p.status is VettingStatus.APPROVED]
    assert len(approved) == 112
    assert {p.status for p in profiles} >= set(UNAPPROVED)
    assert len(METHODS) >= 12
    assert len(TOPICS) >= 20
    zones = Counter(p.timezone for p in approved)
    assert set(zones) <= {z for z, _ in TIME_ZONES}
    assert len(zones) >= 6
    assert zones.most_common(1)[0][0] == "Europe/Moscow"
    prices = sorted(p.session_price for p in approved)
    assert prices[0] == Decimal(1500)
    assert Decimal(7500) <= prices[-1] <= Decimal(9000)
    kinds = Counter(s["kind"] for p in approved for s in p.services)
    assert kinds[ServiceKind.SESSION] == 112
    assert kinds[ServiceKind.COUPLE_SESSION] > 10
    assert kinds[ServiceKind.CHILD_SESSION] > 10
    assert kinds[ServiceKind.CHECKUP] > 50
    durations = {(s["kind"], s["duration_minutes"]) for p in approved for s in p.services}
    assert durations == {
        (ServiceKind.SESSION, 50),
        (ServiceKind.COUPLE_SESSION, 80),
        (ServiceKind.CHILD_SESSION, 50),
        (ServiceKind.CHECKUP, 30),
    }
    assert all(isinstance(s["price"], Decimal) for p in approved for s in p.services)


def test_every_approved_profile_meets_the_vetting_rules() -> None:
    for p in demo_profiles(112)[:112]:
        by_kind = defaultdict(list)
        for c in p.credentials:
            by_kind[c["kind"]].append(c)
        assert by_kind[CredentialKind.DIPLOMA][0]["hours"] >= 1100, p.slug
        assert max(c["hours"] for c in by_kind[CredentialKind.METHOD_CERTIFICATE]) >= 700
        assert by_kind[CredentialKind.PERSONAL_THERAPY][0]["hours"] >= 150
        assert by_kind[CredentialKind.SUPERVISION]
        assert by_kind[CredentialKind.INTERVISION]
        assert 2026 - p.practice_since >= 3
        assert all(c["institution"] for c in p.credentials)


async def test_seeded_reviews_are_in_chronological_id_order(app: object) -> None:
    rows = await Review.all().order_by("id").values_list("psychologist_id", "created_at")
    last: dict[int, object] = {}
    for pid, created_at in rows:
        if pid in last:
            assert created_at >= last[pid]
        last[pid] = created_at
    assert len(rows) > 500


async def test_rerunning_the_catalogue_step_changes_nothing(
    app: object, settings: Settings
) -> None:
    async def counts() -> tuple[int, ...]:
        return (
            await Method.all().count(),
            await Topic.all().count(),
            await Psychologist.all().count(),
            await Credential.all().count(),
            await Service.all().count(),
            await Review.all().count(),
            len(await Psychologist.all().values_list("methods__id", flat=True)),
            len(await Psychologist.all().values_list("topics__id", flat=True)),
        )

    before = await counts()
    summary = await seed_catalogue(settings)
    assert "(0 new)" in summary
    assert await counts() == before


def _cli(args: list[str], env: dict[str, str]) -> tuple[str, float]:
    started = time.perf_counter()
    result = run_in_checkout([sys.executable, "-W", "ignore", "-m", "app", *args], env)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, elapsed


def test_cli_seed_grows_from_a_small_catalogue_and_reruns_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "seed.sqlite3"
    env = dev_env(tmp_path, DATABASE_URL=f"sqlite://{db}")
    _cli(["migrate"], env)

    out, _ = _cli(["seed", "--demo", "--psychologists", "5"], env)
    assert "5 approved" in out

    def approved() -> list[str]:
        with sqlite3.connect(db) as conn:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT slug FROM psychologists WHERE vetting_status = 'APPROVED' ORDER BY id"
                )
            ]

    first_five = approved()
    assert len(first_five) == 5

    out, elapsed = _cli(["seed", "--demo"], env)
    assert "112 approved" in out
    assert "(107 new)" in out
    assert approved()[:5] == first_five
    assert len(approved()) == 112
    assert elapsed < 15  # the whole process; the catalogue step itself takes well under 1 s

    with sqlite3.connect(db) as conn:
        reviews = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    out, _ = _cli(["seed", "--demo"], env)
    assert "(0 new)" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == reviews


async def test_search_name_follows_full_name_on_save(app: object) -> None:
    p = await Psychologist.create(
        slug=f"t-search-{time.time_ns()}",
        full_name="Тест Ёлкина",
        practice_since=2015,
        vetting_status=VettingStatus.APPLIED,  # never visible: counts stay intact
    )
    assert (await Psychologist.get(id=p.id)).search_name == "тест елкина"
    p.full_name = "Тест СЕМЁНОВА"
    await p.save(update_fields=["full_name"])
    assert (await Psychologist.get(id=p.id)).search_name == "тест семенова"


async def test_seeding_leaves_fresh_planner_statistics(app: object, settings: Settings) -> None:
    """The session's app was seeded (tests.fixtures): the planner has statistics."""
    from tortoise import Tortoise

    connection = Tortoise.get_connection("default")
    if settings.is_sqlite:
        rows = await connection.execute_query_dict(
            "SELECT tbl FROM sqlite_stat1 WHERE tbl = 'psychologists'"
        )
    else:
        rows = await connection.execute_query_dict(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = 'psychologists' "
            "AND COALESCE(last_analyze, last_autoanalyze) IS NOT NULL"
        )
    assert rows, "no statistics for psychologists after the seed"


def _production_env(tmp_path: Path) -> dict[str, str]:
    """A complete production configuration (it passes the settings' checks)."""
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return dev_env(
        tmp_path,
        APP_ENV="production",
        DATABASE_URL="postgres://psyline@127.0.0.1:1/never-connected",  # production: no SQLite
        JWT_PRIVATE_KEY=pem,
        VIDEO_APP_SECRET="p" * 40,
        PUBLIC_BASE_URL="https://api.psyline.example",
        ALLOWED_HOSTS="api.psyline.example",
        ALLOWED_ORIGINS="https://app.clinic.example",
    )


def test_seed_demo_refuses_to_run_in_production(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    result = run_in_checkout([sys.executable, "-W", "ignore", "-m", "app", "seed", "--demo"], env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "refuses to run in production" in lines[0]
    assert result.stdout == ""


async def test_the_demo_seed_refuses_production_settings_from_any_caller(
    settings: Settings,
) -> None:
    with pytest.raises(RuntimeError) as refused:
        await seed_demo(settings.with_(env="production"), psychologists=1)
    assert str(refused.value) == DEMO_IN_PRODUCTION
