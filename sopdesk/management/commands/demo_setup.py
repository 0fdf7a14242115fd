"""`manage.py demo_setup`: what `make run` does before serving.

Loads the demo company when the database is empty, keeps the demo users' password
(SOPDESK_DEMO_PASSWORD, else one generated once and kept in var/demo-password) and
prints where to log in.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_USERS = ("ceo", "sales", "coo")


class Command(BaseCommand):
    help = "Load the demo company into an empty database and print where to log in."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        password = self._password()
        users = get_user_model().objects
        # seed_demo leaves a database that already has data alone.
        call_command("seed_demo", password=password, stdout=self.stdout)
        if not users.filter(username__in=DEMO_USERS).exists():
            self.stdout.write(self.style.WARNING("This database has data but no demo users; log in with your own."))
            return
        if os.environ.get("SOPDESK_DEMO_PASSWORD"):
            # The user asked for this password: make it true for the existing demo users.
            for user in users.filter(groups__name__in=("ceo", "sales", "operations")).distinct():
                user.set_password(password)
                user.save(update_fields=["password"])
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"sopdesk is starting at http://127.0.0.1:{options['port']}/"))
        self.stdout.write(f"Log in as ceo, sales or coo (reps: anna, ben, carla, dev) with the password: {password}")
        self.stdout.write("")

    def _password(self) -> str:
        given = os.environ.get("SOPDESK_DEMO_PASSWORD")
        if given:
            return given
        kept = Path(settings.BASE_DIR) / "var" / "demo-password"
        if kept.exists():
            return kept.read_text().strip()
        kept.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        kept.write_text(password + "\n")
        kept.chmod(0o600)
        return password
