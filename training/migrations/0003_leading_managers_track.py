"""Senior leaders get a track of their own: the `senior_leaders` audience, and the curriculum's new rows
(training/curriculum.py; only missing rows are added, so HR's edits survive)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from training.curriculum import default_curriculum_install

    default_curriculum_install(apps)


class Migration(migrations.Migration):
    dependencies = [("training", "0002_default_curriculum")]

    operations = [
        migrations.AlterField(
            model_name="track",
            name="audience",
            field=models.CharField(
                choices=[
                    ("all_managers", "Every new people manager, whatever their function"),
                    ("sales_managers", "People managers who manage sellers"),
                    ("senior_leaders", "Senior leaders: people who lead people managers"),
                ],
                default="all_managers",
                max_length=32,
            ),
        ),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
