"""Give the roles their forecast permissions (who sees which results, who may recompute)."""

from django.db import migrations


def sync(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sopdesk.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("forecasting", "0003_recompute_permission"),
        ("operations", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
