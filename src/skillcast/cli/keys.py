"""``skillcast keys``: issue, list and revoke API keys of the prediction service.

Registered by ``skillcast.cli.main``. The key file (``--file``, default ``.skillcast/api_keys.json``
or ``SKILLCAST_API_KEYS_FILE``) holds names and SHA-256 digests only; a new key is printed
once and cannot be shown again. A running service re-reads the file when it changes, so a
revocation takes effect at the next request (403).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcast.cli.console import clear_errors, console
from skillcast.config import Config

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the prediction service (stored hashed).")
FileOption = Annotated[Path | None, typer.Option("--file", help="key file (default SKILLCAST_API_KEYS_FILE or .skillcast/api_keys.json)")]


def _key_file(file: Path | None) -> Path:
    return file.resolve() if file else Config.from_env().resolved_api_keys_file()


@keys_app.command("create")
def create(name: Annotated[str, typer.Argument(help="who the key is for, e.g. planning-tool-gm")], file: FileOption = None) -> None:
    """Issue a new key; it is printed once (store it in the client's secrets), only its hash is kept."""
    from skillcast.api.keys import create_key

    with clear_errors():
        path = _key_file(file)
        key = create_key(path, name)
    console.print(f"key {name!r} added to {path}; send it as 'Authorization: Bearer KEY'. It is shown only now:", highlight=False)
    print(key)


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="name of the key to revoke")], file: FileOption = None) -> None:
    """Revoke a key: requests with it are refused (403) from the next request on."""
    from skillcast.api.keys import revoke_key

    with clear_errors():
        path = _key_file(file)
        entry = revoke_key(path, name)
    console.print(f"key {name!r} revoked at {entry.revoked} in {path}", highlight=False)


@keys_app.command("list")
def list_command(file: FileOption = None) -> None:
    """Names, creation and revocation times of the keys in the file (never the keys)."""
    from skillcast.api.keys import list_keys

    with clear_errors():
        path = _key_file(file)
        keys = list_keys(path)
    table = Table(title=f"API keys in {path}")
    for column in ("name", "created", "revoked", "sha256 (first 12)"):
        table.add_column(column)
    for key in keys:
        table.add_row(key.name, key.created, key.revoked or "", key.sha256[:12])
    console.print(table)
    if not keys:
        console.print("no keys yet: `skillcast keys create NAME`")
