"""`gatehouse serve|migrate|api-keys …`: the operator's command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from gatehouse.auth.principal import operator_principal
from gatehouse.models import ApiKey
from gatehouse.models.portal import PortalIntent
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.errors import DomainError
from gatehouse.resolvers.portal import links as portal
from gatehouse.server.db import apply_migrations, close_db, init_db, startup_lock
from gatehouse.server.logs import configure_logging
from gatehouse.settings import get_settings


async def _with_db(
    work: Callable[[], Awaitable[int]], first_start: Callable[[], Awaitable[int]] | None = None
) -> int:
    settings = get_settings()
    # Processes started together (replicas, a worker, `migrate`) take turns: the first
    # applies the migrations (and mints the first key), the rest find them applied.
    async with startup_lock(settings.database_url):
        await apply_migrations(settings.database_url)
        await init_db(settings.database_url)
        if first_start is not None:
            await first_start()
    try:
        return await work()
    finally:
        await close_db()


async def _bootstrap_operator_key() -> int:
    """On the first start of an empty database, mint an operator key and print it once."""
    if await ApiKey.exists():
        return 0
    key, secret = await api_keys.create_api_key(operator_principal(), "bootstrap operator key")
    print("=" * 72)
    print("First start: created an operator API key. It is shown only this once:")
    print(f"  id:     {key.id}")
    print(f"  secret: {secret}")
    print("=" * 72, flush=True)
    return 0


async def _nothing() -> int:
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gatehouse.server.app import create_app
    from gatehouse.server.serving import GracefulServer

    settings = get_settings()
    asyncio.run(_with_db(_nothing, first_start=_bootstrap_operator_key))
    print(f"GraphQL API: http://{args.host}:{args.port}/graphql", flush=True)
    grace = args.graceful_shutdown_seconds
    app = create_app()
    # What exists now (modules, the GraphQL schema: ~190k objects) lives as long as the
    # process. Frozen, it is out of the cyclic collector's sight, so a full collection under
    # load walks only what requests allocate, instead of pausing ~80 ms for all of it. A
    # larger first generation lets most request objects die by refcount before any scan
    # (measured under the load test: GC time per process 0.57 s -> 0.16 s in 13 s).
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        # Our access log (one JSON line per request, secrets redacted) replaces uvicorn's,
        # which prints raw query strings.
        access_log=False,
        log_config=None,
        # On SIGTERM: stop accepting, let in-flight requests finish for this long, then
        # run the lifespan shutdown (which stops background loops and closes the pool).
        # uvicorn takes whole seconds: round up, so the drain is never shorter than set.
        timeout_graceful_shutdown=math.ceil(
            settings.graceful_shutdown_seconds if grace is None else grace
        ),
    )
    server = GracefulServer(config)
    server.run()
    return 0 if server.started else 3  # 3: uvicorn's own code for a failed startup


def cmd_worker(_: argparse.Namespace) -> int:
    """Deliver webhooks and log streams (and sequence events) without serving HTTP."""
    import signal

    from gatehouse.events.runtime import EventRuntime
    from gatehouse.ops.background import BackgroundLoops
    from gatehouse.resolvers.sso.upkeep import start_upkeep

    async def work() -> int:
        settings = get_settings()
        runtime = EventRuntime(settings, run_worker=True)
        loops = BackgroundLoops(grace_seconds=settings.webhook_timeout_seconds + 5)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await runtime.start(loops)
        start_upkeep(loops, settings)
        print("Delivery worker running.", flush=True)
        await stop.wait()
        # A delivery already sent is finished and recorded (its cursor moves); none starts.
        print("Delivery worker stopping.", flush=True)
        await loops.stop()
        await runtime.close()
        print("Delivery worker stopped.", flush=True)
        return 0

    return asyncio.run(_with_db(work))


def cmd_migrate(_: argparse.Namespace) -> int:
    async def done() -> int:
        print("Migrations applied.")
        return 0

    return asyncio.run(_with_db(done))


def cmd_api_keys_create(args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            key, secret = await api_keys.create_api_key(
                operator_principal(), args.name, args.organization, args.scope or None
            )
        except DomainError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        scope = key.organization_id or "operator (all organizations)"
        print(f"Created {key.id} ({scope}). The secret follows; it is shown only once:")
        print(secret)
        return 0

    return asyncio.run(_with_db(work))


def cmd_api_keys_list(_: argparse.Namespace) -> int:
    async def work() -> int:
        for key in await ApiKey.all().order_by("id"):
            state = "revoked" if key.revoked_at else "active"
            scope = key.organization_id or "operator"
            print(f"{key.id}\t{key.display_prefix}…\t{scope}\t{state}\t{key.name}")
        return 0

    return asyncio.run(_with_db(work))


def cmd_api_keys_revoke(args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            await api_keys.revoke_api_key(operator_principal(), args.id)
        except DomainError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"Revoked {args.id}.")
        return 0

    return asyncio.run(_with_db(work))


def cmd_keys_rotate(_: argparse.Namespace) -> int:
    from gatehouse.auth.tokens import rotate_signing_keys

    async def work() -> int:
        key = await rotate_signing_keys(get_settings().secret_key)
        print(
            f"{key.id} signs access tokens from now on. The previous keys stay in the JWKS "
            "until every token they signed has expired."
        )
        return 0

    return asyncio.run(_with_db(work))


def cmd_keys_list(_: argparse.Namespace) -> int:
    from gatehouse.models import SigningKey

    async def work() -> int:
        for key in await SigningKey.all().order_by("id"):
            state = f"retired {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else "signing"
            print(f"{key.id}	{key.algorithm}	{key.created_at:%Y-%m-%d %H:%M}	{state}")
        return 0

    return asyncio.run(_with_db(work))


INTENT_NAMES = {
    "sso": PortalIntent.SSO,
    "dsync": PortalIntent.DSYNC,
    "domain_verification": PortalIntent.DOMAIN_VERIFICATION,
    "domains": PortalIntent.DOMAIN_VERIFICATION,
    "log_streams": PortalIntent.LOG_STREAMS,
}


def cmd_portal_link(args: argparse.Namespace) -> int:
    async def work() -> int:
        intents = [INTENT_NAMES[i.lower().replace("-", "_")] for i in args.intent]
        try:
            link, url = await portal.generate_portal_link(
                operator_principal(),
                get_settings(),
                args.organization,
                [i.value for i in intents],
                args.return_url,
            )
        except DomainError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"Setup link for {link.organization_id}, single use, until {link.expires_at}:")
        print(url)
        return 0

    return asyncio.run(_with_db(work))


def _logging_options() -> argparse.ArgumentParser:
    """The options every command takes: each logs the same way (see `configure_logging`)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default="info")
    common.add_argument(
        "--log-format",
        choices=["json", "text"],
        help="json: one object per line (default in production, or GATEHOUSE_LOG_FORMAT); "
        "text: readable",
    )
    return common


class _Subcommands:
    """`add_parser` for subcommands that all take the logging options."""

    def __init__(self, action: Any, common: argparse.ArgumentParser) -> None:
        self.action, self.common = action, common

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self.action.add_parser(
            name, parents=[self.common], **kwargs
        )
        return parser


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gatehouse", description=__doc__)
    common = _logging_options()
    sub = _Subcommands(p.add_subparsers(dest="command", required=True), common)

    serve = sub.add_parser("serve", help="migrate, then serve the API")
    # Defaults from the environment too, so a container's port is set in one place (its
    # HEALTHCHECK reads the same GATEHOUSE_PORT).
    serve.add_argument("--host", default=os.environ.get("GATEHOUSE_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("GATEHOUSE_PORT", "8000")))
    serve.add_argument(
        "--graceful-shutdown-seconds",
        type=float,
        help="on SIGTERM, seconds in-flight requests may take to finish",
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run the webhook and log stream delivery worker").set_defaults(
        func=cmd_worker
    )
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=cmd_migrate)

    keys = _Subcommands(
        sub.add_parser("api-keys", help="manage API keys").add_subparsers(
            dest="keys_command", required=True
        ),
        common,
    )
    create = keys.add_parser("create", help="create a key; prints the secret on the last line")
    create.add_argument("--name", required=True)
    create.add_argument("--organization", help="scope the key to this organization")
    create.add_argument("--scope", action="append", help="a permission (repeatable)")
    create.set_defaults(func=cmd_api_keys_create)
    keys.add_parser("list", help="list keys").set_defaults(func=cmd_api_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_api_keys_revoke)

    signing = _Subcommands(
        sub.add_parser(
            "keys", help="the keys that sign access tokens (published at /.well-known/jwks.json)"
        ).add_subparsers(dest="signing_command", required=True),
        common,
    )
    signing.add_parser(
        "rotate", help="add a signing key; the old ones stay published until their tokens expire"
    ).set_defaults(func=cmd_keys_rotate)
    signing.add_parser("list", help="list signing keys").set_defaults(func=cmd_keys_list)

    link = sub.add_parser(
        "portal-link", help="print a single-use Admin Portal setup link (URL on the last line)"
    )
    link.add_argument("--organization", required=True, help="the organization's org_… ID")
    link.add_argument(
        "--intent",
        action="append",
        required=True,
        choices=sorted({*INTENT_NAMES, "domain-verification", "log-streams"}),
        help="what the admin may set up (repeatable)",
    )
    link.add_argument("--return-url", help="where the portal's 'Back to the app' button leads")
    link.set_defaults(func=cmd_portal_link)
    return p


def setup_logging(args: argparse.Namespace) -> None:
    """One logging setup for every command: `--log-format`, else GATEHOUSE_LOG_FORMAT, else
    JSON in production and text elsewhere; the same redaction whichever it is."""
    settings = get_settings()
    log_format = args.log_format or settings.log_format
    if log_format is None:
        log_format = "json" if settings.is_production else "text"
    configure_logging(log_format, args.log_level)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(args)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
