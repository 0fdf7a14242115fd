"""Give the CEO the integrations: API tokens and webhook subscriptions."""

from django.db import migrations


def sync(apps, schema_editor):  # type: ignore[no-untyped-def]
    from sopdesk.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("forecasting", "0008_review_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
