"""Typed settings, read once from the environment at cold start (never at import of a model).

A plain dataclass rather than pydantic-settings: the authorizer imports this module and must not
pay for pydantic on its cold start.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sculptops.domain.token_format import validate_prefix

# EventBridge's bus names: up to 256 of these characters (a bus ARN is not accepted here).
_BUS_RE = re.compile(r"^[A-Za-z0-9._\-/]{1,256}$")


class SettingsError(ValueError):
    """A setting is missing or malformed: the function refuses to start."""


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def is_provider_url(url: str) -> bool:
    """Whether the identity provider may be fetched from `url`.

    `https` with any host; `http` only to a loopback IP literal or exactly `localhost` (the dev
    identity provider). The host is parsed, never matched as a prefix, so `127.0.0.1.nip.io`,
    `localhost.evil` and userinfo tricks such as `127.0.0.1@evil.example` are refused.
    """
    if not url.isascii() or any(c <= " " or c in "\\\x7f" for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _provider_url(name: str, value: str | None) -> str | None:
    if value is not None and not is_provider_url(value):
        raise SettingsError(f"{name} must be an https URL (http only to localhost or 127.0.0.1)")
    return value


# A client id or a scope list: what an OAuth client may send (RFC 6749 appendix A), bounded.
_OAUTH_TEXT_RE = re.compile(r"^[\x20-\x7e]{1,255}$")


def _text_setting(name: str, value: str | None) -> str | None:
    if value is not None and not _OAUTH_TEXT_RE.fullmatch(value):
        raise SettingsError(f"{name} must be 1 to 255 printable ASCII characters")
    return value


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    region: str = "us-east-1"
    dynamodb_endpoint: str | None = None
    tokens_table: str = "sculptops-local-tokens"
    identity_table: str = "sculptops-local-identity"
    catalog_table: str = "sculptops-local-catalog"
    executions_table: str = "sculptops-local-executions"
    idempotency_table: str = "sculptops-local-idempotency"
    token_prefix: str = "ag_live_"
    agent_token_prefix: str = "ag_agent_"
    token_pepper: bytes | None = field(default=None, repr=False)
    oidc_issuer: str | None = None
    oidc_audience: str = "account"
    oidc_jwks_url: str | None = None
    oidc_leeway_seconds: int = 30
    dynamodb_connect_timeout: int = 2
    dynamodb_read_timeout: int = 5
    dynamodb_max_retries: int = 2
    log_level: str = "INFO"
    # How long audit events are kept (DynamoDB TTL; cleanup only).
    audit_retention_days: int = 400
    # Where the expiry and leaked-token events go: EventBridge (this bus), or the log
    # (`log`: the local stack, which has no EventBridge).
    events: str = "eventbridge"
    event_bus: str = "default"
    # Who revokes the leaked tokens posted to the public route, out of band: the worker
    # function, invoked asynchronously (`lambda`), or a background thread (`thread`: the local
    # stack, which has no asynchronous invocation).
    leak_worker: str = "lambda"
    leak_worker_function: str = "sculptops-local-leaks"
    # The console's sign-in (authorization code + PKCE, a public client): where the browser
    # goes, what it asks for (GET /console/config.json). No default for the endpoints: every
    # provider puts them at its own paths (its discovery document names them).
    oidc_authorization_endpoint: str | None = None
    oidc_token_endpoint: str | None = None
    oidc_end_session_endpoint: str | None = None
    console_client_id: str | None = None
    console_scope: str = "openid profile email"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Validate and read every setting from `SCULPTOPS_*` (and the AWS region)."""
        e = os.environ if env is None else env
        stage = e.get("SCULPTOPS_STAGE", "local")
        prefix = f"sculptops-{stage}"
        pepper = e.get("SCULPTOPS_TOKEN_PEPPER") or None
        if pepper is not None and len(pepper) < 16:
            raise SettingsError("SCULPTOPS_TOKEN_PEPPER must be at least 16 characters")
        token_prefix = e.get("SCULPTOPS_TOKEN_PREFIX", "ag_live_")
        agent_prefix = e.get("SCULPTOPS_AGENT_TOKEN_PREFIX", "ag_agent_")
        try:
            validate_prefix(token_prefix)
            validate_prefix(agent_prefix)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
        if token_prefix.startswith(agent_prefix) or agent_prefix.startswith(token_prefix):
            raise SettingsError("the personal and agent token prefixes must differ")
        issuer = (e.get("SCULPTOPS_OIDC_ISSUER") or "").rstrip("/") or None
        log_level = e.get("SCULPTOPS_LOG_LEVEL", "INFO").upper()
        events = e.get("SCULPTOPS_EVENTS", "eventbridge")
        if events not in {"eventbridge", "log"}:
            raise SettingsError("SCULPTOPS_EVENTS must be eventbridge or log")
        event_bus = e.get("SCULPTOPS_EVENT_BUS") or "default"
        if not _BUS_RE.fullmatch(event_bus):
            raise SettingsError("SCULPTOPS_EVENT_BUS must be an EventBridge bus name")
        leak_worker = e.get("SCULPTOPS_LEAK_WORKER", "lambda")
        if leak_worker not in {"lambda", "thread"}:
            raise SettingsError("SCULPTOPS_LEAK_WORKER must be lambda or thread")
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError("SCULPTOPS_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return cls(
            stage=stage,
            region=e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or "us-east-1",
            dynamodb_endpoint=e.get("SCULPTOPS_DYNAMODB_ENDPOINT") or None,
            tokens_table=e.get("SCULPTOPS_TOKENS_TABLE", f"{prefix}-tokens"),
            identity_table=e.get("SCULPTOPS_IDENTITY_TABLE", f"{prefix}-identity"),
            catalog_table=e.get("SCULPTOPS_CATALOG_TABLE", f"{prefix}-catalog"),
            executions_table=e.get("SCULPTOPS_EXECUTIONS_TABLE", f"{prefix}-executions"),
            idempotency_table=e.get("SCULPTOPS_IDEMPOTENCY_TABLE", f"{prefix}-idempotency"),
            token_prefix=token_prefix,
            agent_token_prefix=agent_prefix,
            token_pepper=pepper.encode() if pepper else None,
            oidc_issuer=_provider_url("SCULPTOPS_OIDC_ISSUER", issuer),
            oidc_audience=e.get("SCULPTOPS_OIDC_AUDIENCE", "account"),
            oidc_jwks_url=_provider_url(
                "SCULPTOPS_OIDC_JWKS_URL", e.get("SCULPTOPS_OIDC_JWKS_URL") or None
            ),
            oidc_leeway_seconds=_int(e, "SCULPTOPS_OIDC_LEEWAY_SECONDS", 30, 0, 300),
            audit_retention_days=_int(e, "SCULPTOPS_AUDIT_RETENTION_DAYS", 400, 1, 3650),
            dynamodb_connect_timeout=_int(e, "SCULPTOPS_DYNAMODB_CONNECT_TIMEOUT", 2, 1, 30),
            dynamodb_read_timeout=_int(e, "SCULPTOPS_DYNAMODB_READ_TIMEOUT", 5, 1, 60),
            dynamodb_max_retries=_int(e, "SCULPTOPS_DYNAMODB_MAX_RETRIES", 2, 0, 10),
            log_level=log_level,
            events=events,
            event_bus=event_bus,
            leak_worker=leak_worker,
            leak_worker_function=e.get("SCULPTOPS_LEAK_WORKER_FUNCTION") or f"{prefix}-leaks",
            oidc_authorization_endpoint=_provider_url(
                "SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT",
                e.get("SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT") or None,
            ),
            oidc_token_endpoint=_provider_url(
                "SCULPTOPS_OIDC_TOKEN_ENDPOINT", e.get("SCULPTOPS_OIDC_TOKEN_ENDPOINT") or None
            ),
            oidc_end_session_endpoint=_provider_url(
                "SCULPTOPS_OIDC_END_SESSION_ENDPOINT",
                e.get("SCULPTOPS_OIDC_END_SESSION_ENDPOINT") or None,
            ),
            console_client_id=_text_setting(
                "SCULPTOPS_CONSOLE_CLIENT_ID", e.get("SCULPTOPS_CONSOLE_CLIENT_ID") or None
            ),
            console_scope=_text_setting(
                "SCULPTOPS_CONSOLE_SCOPE", e.get("SCULPTOPS_CONSOLE_SCOPE") or None
            )
            or "openid profile email",
        )
