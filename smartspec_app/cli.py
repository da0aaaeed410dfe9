"""Operator commands: `python -m smartspec_app.cli --help`."""

from __future__ import annotations

import argparse
import sys

from sqlmodel import select

from smartspec_app.models import User
from smartspec_app.services import admin_bootstrap, auth, keys, nsfw, nsfw_rescan, rendition_backfill
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import NotFound, SmartSpecError, ValidationError
from smartspec_app.services.storage import LocalStorage, get_storage
from smartspec_app.services.storage_migration import copy_all, rewrite_media_urls
from smartspec_app.services.wording import counted
from smartspec_app.settings import get_settings


def _make_admin(args: argparse.Namespace) -> str:
    with session_scope() as session:
        user = auth.make_admin(session, args.email)
    return f"{user.email} is now an admin"


def _create_user(args: argparse.Namespace) -> str:
    with session_scope() as session:
        rule = admin_bootstrap.rule_from_settings(get_settings(), local_request=True)  # the operator, at the machine
        user = auth.create_user(session, args.email, args.password, admins=rule)
        if args.admin:
            admin_bootstrap.promote(session, user)
    return f"created {user.email}{' (admin)' if user.is_admin else ''}"


def _create_token(args: argparse.Namespace) -> str:
    """An API token for an existing account; the token is printed this once (the account page can show it again)."""
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == auth.normalize_email(args.email))).first()
        if user is None:
            raise NotFound(f"No account with the e-mail {args.email}")
        row, token = keys.create_api_token(session, keys.get_key_manager(), user, args.name)
    print(f"created the API token {row.name!r} ({row.token_hint}) for {user.email}; it is shown once:", file=sys.stderr)
    return token


def _migrate_storage(args: argparse.Namespace) -> str:
    """Copy DATA_DIR/media to the R2 bucket (resumable), optionally pointing stored URLs at it."""
    settings = get_settings()
    if not settings.r2_enabled:
        raise ValidationError(f"R2 storage is not configured: set {', '.join(settings.r2_missing())}")
    if args.rewrite_urls and not settings.r2_public_url:
        raise ValidationError(
            "--rewrite-urls needs R2_PUBLIC_URL: without it media URLs are presigned and expire "
            f"after {settings.r2_presign_seconds} s, so the rewritten rows would soon point nowhere"
        )
    print(f"Copying {settings.media_dir} to the bucket {settings.r2_bucket_name!r}", flush=True)
    target = get_storage()
    result = copy_all(LocalStorage(settings.media_dir), target, report=lambda line: print(line, flush=True))
    lines = [result.summary()]
    if args.rewrite_urls:
        with session_scope() as session:
            lines.append(rewrite_media_urls(session, target).summary())
    if result.failed:
        failures = "; ".join(f"{key}: {error}" for key, error in result.failed.items())
        raise SmartSpecError(f"{', '.join(lines)}. Failed: {failures}. Run the command again to retry them.")
    return "\n".join(lines)


def _rotate_keys(args: argparse.Namespace) -> str:
    """Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS (resumable)."""
    manager = keys.get_key_manager()
    report = keys.rotate_encryption_keys(
        session_scope,
        manager,
        batch_size=args.batch_size,
        on_batch=lambda r: print(f"batch {r.batches}: {r.rotated} re-encrypted, {r.already_current} already current", flush=True),
    )
    summary = f"re-encrypted {report.rotated} secrets; {report.already_current} were already on the newest key"
    if report.unreadable:
        raise SmartSpecError(
            f"{summary}. No configured key opens {', '.join(report.unreadable)}: "
            "put the key they were written with back into ENCRYPTION_KEYS and run again"
        )
    return summary


def _rescan_nsfw(args: argparse.Namespace) -> str:
    detector = nsfw.get_detector()
    if not detector.available:
        raise SmartSpecError("No NSFW detector is installed: pip install -r requirements-nsfw.txt (and NSFW_DETECTOR=auto or nudenet)")
    with session_scope() as session:
        report = nsfw_rescan.rescan(
            session,
            get_storage(),
            detector,
            get_settings().nsfw_threshold,
            everything=args.all,
            on_item=lambda item, outcome: print(f"{item.id} ({item.title}): {outcome}", flush=True),
        )
    summary = f"scanned {counted(report.scanned, 'item')} with {detector.name}: {report.flagged} flagged"
    summary += f", {report.hidden} of them taken out of the public gallery for review"
    if report.failed:
        reasons = "; ".join(f"{item_id}: {why}" for item_id, why in list(report.failed.items())[:10])
        summary += f". {len(report.failed)} could not be scanned ({reasons})"
    return summary


def _make_renditions(args: argparse.Namespace) -> str:
    with session_scope() as session:
        report = rendition_backfill.backfill(
            session,
            get_storage(),
            everything=args.all,
            on_item=lambda item, outcome: print(f"{item.id} ({item.title}): {outcome}", flush=True),
        )
    summary = f"made {counted(report.renditions, 'WebP rendition')} for {counted(report.made, 'gallery item')}"
    if report.failed:
        reasons = "; ".join(f"{item_id}: {why}" for item_id, why in list(report.failed.items())[:10])
        have = "has" if len(report.failed) == 1 else "have"
        raise SmartSpecError(
            f"{summary}. {counted(len(report.failed), 'item')} {have} none ({reasons}); run the command again to retry them"
        )
    return summary


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
    token = commands.add_parser(
        "create-token",
        help="create an API token for an existing account and print it (only stdout carries the token)",
        description="For scripts and SDK set-up: the token goes to stdout alone, so TOKEN=$(... create-token EMAIL) works.",
    )
    token.add_argument("email")
    token.add_argument("--name", default="cli", help="the token's name, shown on the account page (default: cli)")
    token.set_defaults(run=_create_token)
    migrate = commands.add_parser(
        "migrate-storage",
        help="copy local media (DATA_DIR/media) to the configured R2 bucket; resumable",
        description="Copies every object under DATA_DIR/media to the R2 bucket, skipping keys already there "
        "with the same size, so an interrupted run just starts again.",
    )
    migrate.add_argument(
        "--rewrite-urls",
        action="store_true",
        help="also point stored /media/ URLs of tasks and gallery items at R2 (needs R2_PUBLIC_URL)",
    )
    migrate.set_defaults(run=_migrate_storage)
    rotate = commands.add_parser(
        "rotate-keys",
        help="re-encrypt stored secrets with the newest key in ENCRYPTION_KEYS; resumable",
        description="Put a new key first in ENCRYPTION_KEYS (keep the old ones after it), restart, run this; "
        "when it reports nothing left on an old key, the old keys can be removed.",
    )
    rotate.add_argument("--batch-size", type=int, default=200)
    rotate.set_defaults(run=_rotate_keys)
    rescan = commands.add_parser(
        "rescan-nsfw",
        help="run the NSFW detector over gallery items it has not scanned (shared before it was installed)",
        description="Flagged items that are approved go back to pending for a moderator; every verdict is in "
        "the audit log. Resumable: each item is saved as it is scanned.",
    )
    rescan.add_argument("--all", action="store_true", help="scan every image and video again (a new model or NSFW_THRESHOLD)")
    rescan.set_defaults(run=_rescan_nsfw)
    renditions = commands.add_parser(
        "make-renditions",
        help="make the WebP renditions (srcset) of gallery items shared before they existed; resumable",
        description="Items get WebP copies of their picture at a few widths when shared; this makes them for "
        "older items, in local storage or R2. Each item is saved as it is done, so an interrupted run carries on.",
    )
    renditions.add_argument("--all", action="store_true", help="make them again for every item")
    renditions.set_defaults(run=_make_renditions)
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
