"""Count what is already stored into the rollup, then let the triggers keep it.

A migration of its own: the rollup's unique constraint, which the triggers' ON CONFLICT needs,
is created at the end of 0001 on PostgreSQL."""

from django.db import migrations


def count_and_keep(apps, schema_editor):
    """Count what is already stored, then let the triggers keep it (reports/rollups.py)."""
    from reports import rollups

    alias = schema_editor.connection.alias
    rollups.install_triggers(using=alias)
    rollups.rebuild(using=alias)


def drop_triggers(apps, schema_editor):
    from reports import rollups

    with schema_editor.connection.cursor() as cursor:
        for statement in rollups.trigger_sql(schema_editor.connection.vendor):
            if statement.startswith("DROP"):
                cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_rollup")]

    operations = [migrations.RunPython(count_and_keep, drop_triggers)]
