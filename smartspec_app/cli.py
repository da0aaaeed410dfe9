"""Operator commands: `python -m smartspec_app.cli --help`."""

from __future__ import annotations

import argparse
import sys

from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError


def _make_admin(args: argparse.Namespace) -> str:
    with session_scope() as session:
        user = auth.make_admin(session, args.email)
    return f"{user.email} is now an admin"


def _create_user(args: argparse.Namespace) -> str:
    with session_scope() as session:
        user = auth.create_user(session, args.email, args.password)
        if args.admin:
            user.is_admin = True
    return f"created {user.email}{' (admin)' if user.is_admin else ''}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m smartspec_app.cli", description="SmartSpec Pro operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("make-admin", help="give an existing account admin rights")
    admin.add_argument("email")
    admin.set_defaults(run=_make_admin)
    create = commands.add_parser("create-user", help="create an account (for scripts and first set-up)")
    create.add_argument("email")
    create.add_argument("password")
    create.add_argument("--admin", action="store_true")
    create.set_defaults(run=_create_user)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(args.run(args))
    except SmartSpecError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
