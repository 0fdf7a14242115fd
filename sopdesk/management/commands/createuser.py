"""`manage.py createuser NAME --role sales`: add a person with one of the roles."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sopdesk.roles import ROLES


class Command(BaseCommand):
    help = "Create a user (or change their role) with one of the roles: " + ", ".join(ROLES)

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password", help="Defaults to a generated one, printed once.")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    @transaction.atomic
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            group = Group.objects.get(name=options["role"])
        except Group.DoesNotExist as exc:
            raise CommandError("Roles are missing: run `manage.py migrate` first.") from exc
        password = options["password"] or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=options["username"])
        user.email = options["email"] or user.email
        user.first_name = options["first_name"] or user.first_name
        user.last_name = options["last_name"] or user.last_name
        user.set_password(password)
        user.save()
        user.groups.set([group])
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {user.username} with role {group.name}.")
        if not options["password"]:
            self.stdout.write(f"Password: {password}")
