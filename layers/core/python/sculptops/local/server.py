"""`sculptops serve`: the whole stack on one machine, with no AWS account."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sculptops import observability
from sculptops.local.devidp import CONSOLE_CLIENT_ID
from sculptops.local.dynamodb import Backend, start_backend, stop_process
from sculptops.local.embedded_agents import start_agents

log = logging.getLogger("sculptops.serve")

DEMO_USER = "admin@demo"
# The banner's token: long enough that a token it creates for a month (the README's
# `sculptops tokens create laptop --days 30`) does not outlive it. The local stack is a dev tool.
DEMO_TOKEN_DAYS = 90


@dataclass
class LocalStack:
    backend: Backend
    base_url: str
    demo_token: str
    app: Any
    agent_tokens: dict[str, str] = field(default_factory=dict)
    agents: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def start_agents(self) -> None:
        """One embedded `sculptops agent` per seeded tenant (local/embedded_agents.py)."""
        start_agents(self.base_url, self.agent_tokens, self.agents)

    def start_sweeper(self, every: float) -> None:
        from sculptops.bootstrap import container

        def loop() -> None:
            while not self.stopping.wait(every):
                try:
                    container().agents.sweep()
                except Exception as exc:  # keep sweeping; say what failed
                    log.warning("sweep failed: %s", type(exc).__name__)

        threading.Thread(target=loop, name="sweeper", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        for proc in self.agents:
            proc.terminate()
        self.backend.stop()  # first: nothing must outlive the stack, even if agents linger
        for proc in self.agents:
            stop_process(proc)


def check_bind_address(host: str, allow_remote: bool) -> None:
    """Loopback only, unless asked for explicitly."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return
    if not allow_remote:
        raise SystemExit(
            f"refusing to bind to {host}: the local stack is for this machine "
            "(pass --allow-remote to bind anyway)"
        )
    print(
        f"WARNING: binding the local stack to {host}. It speaks plain HTTP and has a dev "
        "identity provider that issues tokens to anyone; in production API Gateway (HTTPS "
        "only) is the front door.",
        file=sys.stderr,
    )


def check_port_free(host: str, port: int) -> None:
    """Refuse a busy port before anything starts, and say how to pick another."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise SystemExit(
                f"port {port} on {host} is already in use (another `make run`?). Stop that, "
                f"or pick another port: make run PORT={port + 1}  "
                f"(or sculptops serve --port {port + 1})"
            ) from None


class QuietIdleClaims(logging.Filter):
    """Mangum logs every request at INFO; an idle agent's claim (204, no work) every second or
    two would drown the rest, so it is logged at DEBUG only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(args, tuple)
            and len(args) == 3
            and args[0] == "POST"
            and str(args[1]).endswith("/agents/claim")
            and args[2] == 204
        ):
            if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def local_environment(endpoint: str, base_url: str) -> dict[str, str]:
    return {
        "SCULPTOPS_STAGE": "local",
        "SCULPTOPS_DYNAMODB_ENDPOINT": endpoint,
        "SCULPTOPS_OIDC_ISSUER": f"{base_url}/dev/oidc",
        # The console signs in at the dev identity provider, on this same origin.
        "SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT": f"{base_url}/dev/oidc/authorize",
        "SCULPTOPS_OIDC_TOKEN_ENDPOINT": f"{base_url}/dev/oidc/token",
        "SCULPTOPS_CONSOLE_CLIENT_ID": CONSOLE_CLIENT_ID,
        # No EventBridge here: events are logged, and shown at GET /dev/events.
        "SCULPTOPS_EVENTS": "log",
        # No asynchronous Lambda invocation here: leaked tokens are revoked by a thread.
        "SCULPTOPS_LEAK_WORKER": "thread",
        "SCULPTOPS_TOKEN_PEPPER": os.environ.get(
            "SCULPTOPS_TOKEN_PEPPER", "local-pepper-not-a-secret"
        ),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def start(host: str, port: int, dynamodb: str) -> LocalStack:
    """Start DynamoDB, create the tables from infra/, seed, build the gateway (not serving)."""
    from sculptops.bootstrap import container
    from sculptops.domain.identity import ACTIVE
    from sculptops.domain.roles import Role
    from sculptops.local import seed
    from sculptops.local.devidp import DevIdentityProvider
    from sculptops.local.gateway import build_gateway
    from sculptops.local.tables import create_tables
    from sculptops.services.tokens import NewToken

    try:
        backend = start_backend(dynamodb)
    except RuntimeError as exc:  # DynamoDB Local without Java or `npm ci`: say so, no traceback
        raise SystemExit(f"cannot start the embedded DynamoDB: {exc}") from None
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    base_url = f"http://{shown_host}:{port}"
    os.environ.update(local_environment(backend.endpoint, base_url))
    container.cache_clear()
    c = container()
    create_tables(c.settings)
    seed.seed_identity(c.identity_store)
    seed.seed_catalog(c.catalog_store)
    idp = DevIdentityProvider(f"{base_url}/dev/oidc", {u.id for u in seed.USERS})
    gateway = build_gateway(
        idp,
        int(os.environ.get("SCULPTOPS_FAILED_AUTH_PER_MINUTE", "30")) or None,
        int(os.environ.get("SCULPTOPS_REVOKE_PER_MINUTE", "10")) or None,
    )
    # A ready-to-paste token for the banner, made through the same service as the API's.
    user = c.identity_store.get_user(DEMO_USER)
    assert user is not None
    principal = c.authenticator.act_in(_session_principal(user), ACTIVE)
    created = c.tokens.create(principal, NewToken(name="make run", expires_in_days=DEMO_TOKEN_DAYS))
    agent_tokens = {}
    for tenant in seed.TENANTS:
        admin = next(u for u in seed.USERS if u.memberships.get(tenant.slug) == Role.ADMIN)
        caller = c.authenticator.act_in(_session_principal(admin), tenant.slug)
        agent_tokens[tenant.slug] = c.agents.register(caller, "embedded agent").token
    return LocalStack(
        backend=backend,
        base_url=base_url,
        demo_token=created.value,
        app=gateway.asgi(),
        agent_tokens=agent_tokens,
    )


def _session_principal(user: Any) -> Any:
    from sculptops.domain.identity import CredentialKind, Principal

    return Principal(kind=CredentialKind.JWT, subject=user.id, user=user)


def banner(stack: LocalStack, dynamodb: str) -> str:
    url = stack.base_url
    return f"""
SculptOps local stack is up on {url}  (DynamoDB: {dynamodb}; Ctrl-C stops it)

  Console      {url}/  (sign in as a seeded user)
  Swagger UI   {url}/api/v1/docs
  A token for admin@demo (valid {DEMO_TOKEN_DAYS} days; created for this run only):

    export SCULPTOPS_URL={url}
    export SCULPTOPS_TOKEN={stack.demo_token}

  Try:
    curl -s $SCULPTOPS_URL/api/v1/me -H "Authorization: Bearer $SCULPTOPS_TOKEN"
    curl -s $SCULPTOPS_URL/api/v1/demo/tokens/ -H "Authorization: Bearer $SCULPTOPS_TOKEN"
    curl -s $SCULPTOPS_URL/api/playbooks -H "Authorization: Bearer $SCULPTOPS_TOKEN"
    .venv/bin/sculptops run ping --inventory local --follow
"""


def _when_ready(stack: LocalStack, then: Any) -> None:
    import urllib.request

    def wait() -> None:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{stack.base_url}/health", timeout=1):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        then()
        # Children started here die with this thread (PR_SET_PDEATHSIG is per thread): it
        # lives as long as the stack.
        stack.stopping.wait()

    threading.Thread(target=wait, daemon=True).start()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    print("SculptOps local stack stopped (SIGTERM).", flush=True)
    raise SystemExit(0)  # a requested stop is a clean one: `make run` does not report an error


def serve(
    host: str, port: int, dynamodb: str, allow_remote: bool = False, agents: bool = True
) -> None:
    import uvicorn

    check_bind_address(host, allow_remote)
    check_port_free(host, port)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    # From the first line on: credentials redacted, control characters (a request path may
    # carry them to Mangum's request log) escaped.
    observability.configure("INFO")
    logging.getLogger("mangum.http").addFilter(QuietIdleClaims())
    for noisy in ("werkzeug", "botocore", "pynamodb", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = start(host, port, dynamodb)
    print(banner(stack, dynamodb), flush=True)
    stack.start_sweeper(float(os.environ.get("SCULPTOPS_SWEEP_SECONDS", "15")))
    if agents:
        _when_ready(stack, stack.start_agents)
    # uvicorn re-raises a SIGTERM it caught once it has shut down: make that an exit through
    # `finally`, so that the agents, their runs' workspaces and the embedded DynamoDB go too.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        # proxy_headers off: the client is the TCP peer, never what X-Forwarded-For claims
        # (uvicorn trusts it from loopback by default), so the failed-auth limiter counts each
        # client by its real address and no one can lock another out.
        uvicorn.run(
            stack.app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
    finally:
        stack.stop()
