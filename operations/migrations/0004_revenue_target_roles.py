"""Give the roles their permissions on revenue targets (the CEO sets them, everyone sees them)."""

from django.db import migrations


def sync(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sopdesk.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("operations", "0003_revenue_target")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
