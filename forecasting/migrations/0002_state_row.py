from django.db import migrations


def create_state(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("forecasting", "ForecastState").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("forecasting", "0001_initial")]

    operations = [migrations.RunPython(create_state, migrations.RunPython.noop)]
