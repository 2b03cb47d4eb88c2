"""Install the task library that ships with Promoted (insights/library.py): critical selling tasks with their
behaviours, metrics and O*NET-grounded prior weights. Tasks already present (by key) are left as they are."""

from django.db import migrations


def install(apps, schema_editor):
    from insights.library import install_defaults

    install_defaults(apps.get_model("insights", "SellingTask"))


def uninstall(apps, schema_editor):
    from insights.library import DEFAULT_TASKS

    SellingTask = apps.get_model("insights", "SellingTask")
    SellingTask.objects.filter(key__in=[t.key for t in DEFAULT_TASKS], is_default=True).delete()


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
