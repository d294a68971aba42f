"""Which database each query goes to: the primary, or for report reads the replica.

Writes always go to the primary ("default"). Reads go to the replica only while the request
reads reports and the replica has replayed everything the primary had committed (the
middleware in config/replica.py decides, per request), and only for report data: the network,
cases, shelters, activities and the reports' own tables. Everything a request writes or must
read as just written stays on the primary whatever the request: users and sessions, the lockout
counts, the admin, background jobs, the shared cache, the audit trails (a refused access is
written during a report request), one-time form keys and the numbering of cases.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS

from config import replica

REPORT_APPS = frozenset({"services", "cases", "shelters", "activities", "reports"})
# Report-app models that are never report data: trails, form keys, numbering.
NOT_REPORT_DATA = frozenset(
    {
        ("services", "refusedaccess"),
        # Who may read what is always read fresh, whatever lag the replica is allowed.
        ("services", "staffassignment"),
        ("services", "submission"),
        ("cases", "auditentry"),
        ("cases", "documentcheck"),
        ("cases", "casesequence"),
        ("activities", "auditentry"),
        ("activities", "activitysequence"),
        ("shelters", "shelterlog"),
    }
)


@cache
def is_report_data(model) -> bool:
    from services.models import LogEntry

    meta = model._meta
    return (
        meta.app_label in REPORT_APPS
        and (meta.app_label, meta.model_name) not in NOT_REPORT_DATA
        and not issubclass(model, LogEntry)
    )


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if replica.reads_from() == replica.REPLICA and is_report_data(model):
            return replica.REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        if is_report_data(model):
            # A request that writes report data reads it back from the primary from now on.
            replica.stop_reading_replica()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both hold the same rows: an object read from one may be related to one of the other.
        aliases = {DEFAULT_DB_ALIAS, replica.REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is read-only: it receives the primary's tables by replication.
        if db == replica.REPLICA:
            return False
        return None
