"""Give the CEO the weekly review: open it, freeze a week, record its decisions."""

from django.db import migrations


def sync(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sopdesk.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("forecasting", "0007_snapshot_document"),
        ("operations", "0004_revenue_target_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
