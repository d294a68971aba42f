"""An index for the protection median's exact waits (reports/models.py, `rollup_wait_key_idx`).

Built CONCURRENTLY on PostgreSQL, so that the writes that keep the rollup (every intake, import
and measure) go on while it is built on a national database; hence not atomic."""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """AddIndex, built with CREATE INDEX CONCURRENTLY on PostgreSQL (as the PostgreSQL-only
    django.contrib.postgres.operations.AddIndexConcurrently), plainly elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0002_rollup_fillfactor"),
        ("services", "0003_refused_access"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="rollup",
            index=models.Index(
                condition=models.Q(("dimension", "wait")),
                fields=["fact", "span", "start", "key"],
                name="rollup_wait_key_idx",
            ),
        ),
    ]
