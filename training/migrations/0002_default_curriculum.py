"""Install the default curriculum (training/curriculum.py). Only adds missing rows; reversing leaves HR's data."""

from django.db import migrations


def install(apps, schema_editor):
    from training.curriculum import default_curriculum_install

    default_curriculum_install(apps)


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
