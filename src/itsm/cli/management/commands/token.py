"""`itsm token create EMAIL --name NAME`, `itsm token list EMAIL`, `itsm token revoke ID`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from itsm.accounts.actions import do_create_api_token, do_revoke_api_token
from itsm.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; its secret is printed once.")
        create.add_argument("email")
        create.add_argument("--name", required=True)
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("email")
        revoke = sub.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = self._user(options["email"])
            token, secret = do_create_api_token(user, name=options["name"])
            self.stdout.write(secret)
            self.stderr.write(
                f"Token {token.pk} ({token.name}) for {user.email}. Store the secret now: "
                "it is not shown again."
            )
        elif action == "list":
            user = self._user(options["email"])
            for token in ApiToken.objects.filter(user=user):
                state = "revoked" if token.revoked_at else "active"
                used = token.last_used_at.isoformat() if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.pk}\t{token.key_prefix}…\t{token.name}\t{state}\tlast used {used}"
                )
        else:
            found = ApiToken.objects.filter(pk=options["token_id"]).first()
            if found is None:
                raise CommandError(f"No token with id {options['token_id']}.")
            do_revoke_api_token(found, actor=None)
            self.stdout.write(f"Token {found.pk} revoked.")

    def _user(self, email: str) -> User:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email}.")
        return user
