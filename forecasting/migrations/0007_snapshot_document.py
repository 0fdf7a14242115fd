from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("forecasting", "0006_scenario_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="weeklysnapshot",
            name="document_json",
            field=models.TextField(
                blank=True, help_text="The review as it was seen (JSON): every section's figures and tables."
            ),
        ),
    ]
