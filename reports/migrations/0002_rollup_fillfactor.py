"""Leave half of each page of the rollup free (PostgreSQL): adding to a count then rewrites its
row on the same page (a HOT update), without new entries in the table's indexes. Most writes to
the rollup are such updates; a COPY of a hundred thousand cases upserts about as many rows."""

from django.db import migrations

FILLFACTOR = 50


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE reports_rollup SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reports_rollup RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_rollup")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
