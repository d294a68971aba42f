"""The repeat-check rate limit counts in the database cache, which every worker shares."""

from datetime import UTC, datetime
from itertools import cycle

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from cases import actions
from cases.actions import REPEAT_CHECK_CACHE, REPEAT_CHECKS_PER_WINDOW, allow_repeat_check


def test_the_rate_limit_cache_is_the_database_cache():
    backend = settings.CACHES[REPEAT_CHECK_CACHE]["BACKEND"]
    assert backend == "django.core.cache.backends.db.DatabaseCache"


class TwoWorkers:
    """Two cache connections made separately, as two gunicorn workers would, taking turns."""

    def __init__(self):
        self.turns = cycle([caches.create_connection(REPEAT_CHECK_CACHE) for _worker in range(2)])

    def __getitem__(self, alias):
        assert alias == REPEAT_CHECK_CACHE
        return next(self.turns)


def test_the_limit_holds_across_two_workers(cast, monkeypatch):
    monkeypatch.setattr(actions, "caches", TwoWorkers())
    allowed = [allow_repeat_check(user=cast.caseworker_a) for _ in range(REPEAT_CHECKS_PER_WINDOW)]
    assert all(allowed)
    assert not allow_repeat_check(user=cast.caseworker_a)
    assert not allow_repeat_check(user=cast.caseworker_a)
    assert allow_repeat_check(user=cast.caseworker_b)


def test_a_check_is_allowed_again_once_the_window_has_passed(cast):
    for _ in range(REPEAT_CHECKS_PER_WINDOW):
        assert allow_repeat_check(user=cast.caseworker_a)
    assert not allow_repeat_check(user=cast.caseworker_a)

    table = connection.ops.quote_name(settings.CACHES[REPEAT_CHECK_CACHE]["LOCATION"])
    with connection.cursor() as cursor:
        # Let the oldest check's slot expire.
        cursor.execute(
            f"UPDATE {table} SET expires = %s WHERE cache_key = ("  # noqa: S608 - setting
            f"SELECT MIN(cache_key) FROM {table})",
            [connection.ops.adapt_datetimefield_value(datetime(2000, 1, 1, tzinfo=UTC))],
        )

    assert allow_repeat_check(user=cast.caseworker_a)
    assert not allow_repeat_check(user=cast.caseworker_a)


@pytest.mark.django_db
def test_the_test_database_has_the_cache_table():
    table = settings.CACHES[REPEAT_CHECK_CACHE]["LOCATION"]
    assert table in connection.introspection.table_names()
