"""Benchmarks write to the database they measure (sessions, the national demo network): they
run only on a database named for benchmarks."""

from django.core.management.base import CommandError
from django.db import connection


def require_bench_database() -> None:
    """Refuse unless the database's name says it is a benchmark's (warmi_bench,
    var/bench_sizes.sqlite3): never against a database people work in."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name.rsplit("/", 1)[-1]:
        raise CommandError(
            f"This benchmark writes to its database; {name!r} is not a benchmark database "
            "(its name must contain 'bench', as make bench's do)."
        )


def national_manager():
    """The user the benchmarks act as: a national manager of the demo."""
    from django.contrib.auth import get_user_model

    user = (
        get_user_model()
        .objects.filter(assignments__role="manager", assignments__region__isnull=True)
        .first()
    )
    if user is None:
        raise CommandError("No national manager: run seed_demo first.")
    return user
