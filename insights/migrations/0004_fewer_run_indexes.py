"""Drop the single-column indexes on the run (and, for per-task rows, the diagnostic) of the snapshot tables.

Each repeated an index or unique constraint that starts with the same column, and every one slowed the insert of a
run's snapshot (about 250,000 rows at 20,000 sellers). The indexes are found by introspection and dropped in place:
Django's AlterField would rebuild each table on SQLite, copying every row of every kept run.
"""

from django.db import migrations, models
import django.db.models.deletion

FIELDS = [
    ("coachingneed", "run"),
    ("sellerdiagnostic", "run"),
    ("sellertaskgap", "diagnostic"),
    ("sellertaskgap", "run"),
    ("teamcomparison", "run"),
]


def _single_column_indexes(schema_editor, table, column):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name for name, c in constraints.items()
        if c["index"] and not c["unique"] and not c["primary_key"] and c["columns"] == [column]
    ]


def drop_indexes(apps, schema_editor):
    for model_name, field_name in FIELDS:
        model = apps.get_model("insights", model_name)
        table, column = model._meta.db_table, model._meta.get_field(field_name).column
        for name in _single_column_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    for model_name, field_name in FIELDS:
        model = apps.get_model("insights", model_name)
        table, column = model._meta.db_table, model._meta.get_field(field_name).column
        if not _single_column_indexes(schema_editor, table, column):
            name = schema_editor.quote_name(f"{table}_{column}_idx")
            schema_editor.execute(
                f"CREATE INDEX {name} ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
            )


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0003_run_timings'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name='coachingneed',
                    name='run',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='coaching_needs', to='insights.analysisrun'),
                ),
                migrations.AlterField(
                    model_name='sellerdiagnostic',
                    name='run',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='diagnostics', to='insights.analysisrun'),
                ),
                migrations.AlterField(
                    model_name='sellertaskgap',
                    name='diagnostic',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='gaps', to='insights.sellerdiagnostic'),
                ),
                migrations.AlterField(
                    model_name='sellertaskgap',
                    name='run',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='insights.analysisrun'),
                ),
                migrations.AlterField(
                    model_name='teamcomparison',
                    name='run',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='team_comparisons', to='insights.analysisrun'),
                ),
            ],
        ),
    ]
