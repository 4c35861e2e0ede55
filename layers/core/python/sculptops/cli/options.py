"""What the commands share: the consoles, the API options (declared once here) and API calls.

A command that calls the API takes one parameter, `api: Api`, and is decorated with
`@api_command`: that parameter becomes the options --url, --token and --tenant, in its place.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from sculptops import __version__
from sculptops.api_client import ApiClient, ApiError

console = Console()
# Messages are never cut into lines by rich: an id or a date stays whole, even in a pipe.
err = Console(stderr=True, soft_wrap=True)
USER_AGENT = f"sculptops-cli/{__version__}"
DEFAULT_URL = "http://127.0.0.1:8000"

Url = Annotated[str, typer.Option("--url", envvar="SCULPTOPS_URL", help="API base URL")]
Token = Annotated[
    str, typer.Option("--token", envvar="SCULPTOPS_TOKEN", help="API token", show_default=False)
]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug, or 'active'")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]


class Api:
    """The API as a command sees it: one tenant's paths, and calls that report errors."""

    def __init__(self, url: str, token: str, tenant: str) -> None:
        self.url = url
        self.tenant = tenant
        self._token = token
        self._client: ApiClient | None = None

    @property
    def client(self) -> ApiClient:
        """Made on first use, so that a command asks its questions before it needs a token."""
        if self._client is None:
            if not self._token:
                err.print("No token: set SCULPTOPS_TOKEN or pass --token.")
                raise typer.Exit(2)
            self._client = ApiClient(self.url, self._token, user_agent=USER_AGENT)
        return self._client

    def path(self, rest: str) -> str:
        """`/tokens/` -> `/api/v1/{tenant}/tokens/`."""
        return f"/api/v1/{self.tenant}{rest}"

    def call(self, method: str, rest: str, **kwargs: Any) -> Any:
        """The JSON answer of `method` on the tenant's `rest`; an error is printed, exit 1."""
        try:
            return self.client.json(method, self.path(rest), **kwargs)
        except ApiError as exc:
            fail(exc)


def fail(exc: ApiError) -> NoReturn:
    """Print an API error and exit 1."""
    err.print(f"[red]Error {exc.status}[/red]: {exc.message}")
    raise typer.Exit(1) from None


_API_OPTIONS = [
    inspect.Parameter("url", inspect.Parameter.KEYWORD_ONLY, default=DEFAULT_URL, annotation=Url),
    inspect.Parameter("token", inspect.Parameter.KEYWORD_ONLY, default="", annotation=Token),
    inspect.Parameter(
        "tenant", inspect.Parameter.KEYWORD_ONLY, default="active", annotation=Tenant
    ),
]


def api_command(command: Callable[..., None]) -> Callable[..., None]:
    """The command with its `api: Api` parameter shown as --url, --token and --tenant."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "api":
            parameters += _API_OPTIONS
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    @functools.wraps(command)
    def with_api(*, url: str, token: str, tenant: str, **kwargs: Any) -> None:
        command(api=Api(url, token, tenant), **kwargs)

    with_api.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_api.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_api
