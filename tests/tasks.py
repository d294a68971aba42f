"""Run the background jobs a test enqueued, with the real worker (`manage.py db_worker`)."""

import logging
import signal
from contextlib import ExitStack
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.db import connection

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
LOGGERS = ["django_tasks", "django_tasks_db"]


def run_jobs() -> str:
    """Run every job that is due, as `db_worker --batch` does, in this process; return its log.

    Inside a test's transaction the worker must not drop the connection between jobs, as it
    does to stay healthy for days (`close_old_connections`): the test's data lives in that
    transaction. Django's test client skips the same call around each request. Tests marked
    `django_db(transaction=True)` run the worker untouched.
    """
    handlers = {number: signal.getsignal(number) for number in SIGNALS}
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    output = StringIO()
    with ExitStack() as stack:
        if connection.in_atomic_block:
            stack.enter_context(
                mock.patch(
                    "django_tasks_db.management.commands.db_worker.close_old_connections",
                    lambda: None,
                )
            )
        try:
            call_command(
                "db_worker",
                batch=True,
                reload=False,
                startup_delay=False,
                interval=0,
                verbosity=0,
                stdout=output,
            )
        finally:
            # The worker takes over Ctrl+C and quiets its loggers: give them back.
            for number, handler in handlers.items():
                signal.signal(number, handler)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
    return output.getvalue()
