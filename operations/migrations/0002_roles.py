"""Give the roles their operations permissions (resources, capacity, spend, budgets, proposals)."""

from django.db import migrations


def sync(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sopdesk.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("pipeline", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
