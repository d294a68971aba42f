"""Report reads from a streaming replica, only while it holds everything the primary committed.

With `DATABASE_REPLICA_URL` set, settings add the "replica" database; this middleware decides,
for each GET request under /reports/ (the pages, their JSON, CSV and XLSX files and the open
data), whether that request reads the report data there. The router (config/routers.py) obeys
the decision; writes go to the primary always.

Reports are exact at every moment, so a replica that lags is not read: before the view runs,
one cheap query on each server compares the primary's WAL position (`pg_current_wal_lsn()`,
past every transaction committed when the request started) with what the replica has replayed
(`pg_last_wal_replay_lsn()`). Only when the replica has replayed up to there, give or take
`DATABASE_REPLICA_MAX_LAG_BYTES` (0, exact, unless set), does the request read there; what it
reads afterwards is at least that recent. A replica that lags, is down or is not a standby costs
the request nothing but those two queries: it reads from the primary and a warning is logged
(positions and error names only, never data). A replica that could not be reached is not tried
again by this process for `RETRY_AFTER_SECONDS`, so an outage does not add a connection timeout
to every report.
"""

import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.connection import ConnectionDoesNotExist

logger = logging.getLogger(__name__)

REPLICA = "replica"
# The namespace of the reports' URLs (reports/urls.py): every page and file answered there.
REPORTS_NAMESPACE = "reports"
RETRY_AFTER_SECONDS = 30.0

# The database this request reads report data from: REPLICA, or None for the primary. A context
# variable, so that each thread (WSGI) or task (ASGI) answers for its own request only.
_reads_from: ContextVar[str | None] = ContextVar("warmi_report_reads_from", default=None)
# time.monotonic() before which this process does not try the replica again.
_unreachable_until = 0.0


def configured() -> bool:
    """Whether there is a "replica" database (DATABASE_REPLICA_URL, or one a test added)."""
    try:
        connections[REPLICA]
    except ConnectionDoesNotExist:
        return False
    return True


def reads_from() -> str | None:
    """REPLICA while the current request reads its report data there, else None."""
    return _reads_from.get()


def stop_reading_replica() -> None:
    """From now on this request reads from the primary (it wrote: it must read its writes)."""
    _reads_from.set(None)


def lsn(text: str) -> int:
    """A WAL position ("16/B374D848") as a number of bytes."""
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def replica_is_current() -> bool:
    """True if the replica answers and has replayed what the primary had committed by now."""
    global _unreachable_until
    if not configured() or time.monotonic() < _unreachable_until:
        return False
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return False
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        committed = cursor.fetchone()[0]
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
            replayed = cursor.fetchone()[0]
    except DatabaseError as error:
        # Closed, so the next request connects afresh instead of reusing a broken connection.
        replica.close()
        _unreachable_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning(
            "Reports read from the primary: the replica cannot be reached (%s); "
            "not tried again for %d s.",
            type(error).__name__,
            RETRY_AFTER_SECONDS,
        )
        return False
    if replayed is None:
        logger.warning("Reports read from the primary: the replica is not a standby.")
        return False
    behind = lsn(committed) - lsn(replayed)
    if behind > getattr(settings, "DATABASE_REPLICA_MAX_LAG_BYTES", 0):
        logger.warning(
            "Reports read from the primary: the replica is %d bytes of WAL behind.", behind
        )
        return False
    return True


def forget_unreachable() -> None:
    """Try the replica again at the next report (tests; an operator's shell after an outage)."""
    global _unreachable_until
    _unreachable_until = 0.0


class ReplicaReadsMiddleware:
    """Send the report data of GET requests under /reports/ to the replica when it is current.

    The decision is taken in process_view, once the URL is resolved, and undone when the
    answer is complete (the reports build their files whole; none is streamed).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            _reads_from.set(None)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            configured()
            and request.method in ("GET", "HEAD")
            # Nobody unauthenticated makes the application ask either server anything.
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and match is not None
            and REPORTS_NAMESPACE in match.namespaces
            and replica_is_current()
        ):
            _reads_from.set(REPLICA)
        return None
