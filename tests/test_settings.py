"""Production configuration: checked in a fresh process, as a deployment would start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3v!q9-production-like-secret-with-enough-variety-" + "x7Zp2Lm8Rt4Wn6",
    "DJANGO_ALLOWED_HOSTS": "casos.example.gob.pe",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def test_refuses_to_start_with_debug_off_and_no_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_deploy_checks_fail_with_a_weak_secret_key():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "DJANGO_SECRET_KEY": "short"},
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_database_backend_follows_database_url():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite3"
    assert settings.DATABASES["default"]["ENGINE"] == f"django.db.backends.{expected}"


@pytest.mark.postgres
def test_postgres_pass_really_talks_to_postgresql(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


SHOW_HSTS = (
    "from django.conf import settings; from django.test import Client;"
    "answer = Client().get('/favicon.ico', secure=True, HTTP_HOST='casos.example.gob.pe');"
    "print(answer['Strict-Transport-Security']);"
    "print(sorted(settings.SILENCED_SYSTEM_CHECKS))"
)


def test_hsts_covers_this_host_only_unless_the_ministry_opts_in():
    """includeSubDomains and preload bind hosts this application does not run; preload takes
    months to undo. Both are off by default, and Django's warnings about them are silenced
    only while they are off."""
    result = manage("shell", "-c", SHOW_HSTS, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    header, silenced = result.stdout.splitlines()[-2:]
    assert header == "max-age=31536000"
    assert "security.W005" in silenced and "security.W021" in silenced

    # Opted in: both in the header, and nothing silenced about them.
    opted_in = {**PRODUCTION, "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1", "DJANGO_HSTS_PRELOAD": "1"}
    result = manage("shell", "-c", SHOW_HSTS, env=opted_in)
    assert result.returncode == 0, result.stderr
    header, silenced = result.stdout.splitlines()[-2:]
    assert header == "max-age=31536000; includeSubDomains; preload"
    assert "security.W005" not in silenced and "security.W021" not in silenced

    checks = manage("check", "--deploy", "--fail-level", "WARNING", env=opted_in)
    assert checks.returncode == 0, checks.stderr + checks.stdout


def test_the_lockout_counts_the_address_and_axes_has_nothing_to_warn():
    """axes.W006 (a lockout without the address) was silenced; it is no longer needed."""
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)",
        env=PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "axes.W006" not in result.stdout
    assert "ip_address" in str(settings.AXES_LOCKOUT_PARAMETERS)
