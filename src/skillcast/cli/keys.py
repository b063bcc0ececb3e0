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

from skillcast.cli.console import clear_errors, console
from skillcast.config import Config

keys_app = typer.Typer(no_args_is_help=True, help="API keys of the prediction service (stored hashed).")
FileOption = Annotated[Path | None, typer.Option("--file", help="key file (default SKILLCAST_API_KEYS_FILE or .skillcast/api_keys.json)")]


def _key_file(file: Path | None) -> Path:
    return file.resolve() if file else Config.from_env().resolved_api_keys_file()


def _check_new_names(path: Path, names: list[str]) -> None:
    """Refuse, before any key is made, a name that is badly formed, given twice, or already in the file (revoked or not)."""
    import re

    from skillcast.api.keys import NAME_PATTERN, list_keys

    for name in names:
        if not re.match(NAME_PATTERN, name):
            raise ValueError(f"key name {name!r}: expected letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"key name {twice[0]!r} is given twice; each key needs its own name")
    taken = {key.name: key for key in list_keys(path)}
    for name in names:
        if name in taken:
            state = f"revoked at {taken[name].revoked}" if taken[name].revoked else f"created {taken[name].created}"
            raise ValueError(
                f"key name {name!r} is already used in {path} ({state}); a name is used once: choose another "
                "(`skillcast keys list` shows the names taken)"
            )


@keys_app.command("create")
def create(
    names: Annotated[list[str], typer.Argument(help="who each key is for, e.g. planning-tool-gm (several names: one key each)")],
    file: FileOption = None,
) -> None:
    """Issue a new key per NAME; each is printed once (store it in the client's secrets), only its hash is kept.

    A name already in the file, badly formed or given twice refuses the whole command (one line, exit 2, no key made)."""
    from skillcast.api.keys import create_key

    with clear_errors():
        path = _key_file(file)
        _check_new_names(path, names)
        for name in names:
            key = create_key(path, name)
            console.print(f"key {name!r} added to {path}; send it as 'Authorization: Bearer KEY'. It is shown only now:", highlight=False)
            print(key, flush=True)


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="name of the key to revoke")], file: FileOption = None) -> None:
    """Revoke a key: requests with it are refused (403) from the next request on."""
    from skillcast.api.keys import list_keys, revoke_key

    with clear_errors():
        path = _key_file(file)
        before = {key.name: key.revoked for key in list_keys(path)}
        entry = revoke_key(path, name)
    if before.get(name):
        console.print(f"key {name!r} was already revoked at {entry.revoked} in {path}; nothing changed", highlight=False)
    else:
        console.print(f"key {name!r} revoked at {entry.revoked} in {path}", highlight=False)


def _when(stamp: str | None) -> str:
    """An ISO time as the key file keeps it (UTC), shorter: 2026-01-31 09:30:00 UTC."""
    if not stamp:
        return ""
    return stamp.replace("T", " ").removesuffix("+00:00") + (" UTC" if stamp.endswith("+00:00") else "")


@keys_app.command("list")
def list_command(file: FileOption = None) -> None:
    """Names, creation and revocation times of the keys in the file (never the keys)."""
    from skillcast.api.keys import list_keys
    from skillcast.cli.tables import LABEL, TEXT, narrow_table

    with clear_errors():
        path = _key_file(file)
        keys = list_keys(path)
    rows = [[key.name, _when(key.created), _when(key.revoked), key.sha256[:12]] for key in keys]
    columns = [("name", TEXT), ("created", LABEL), ("revoked", LABEL), ("sha256 (first 12)", LABEL)]
    console.print(narrow_table(f"API keys in {path}", columns, rows))
    if not keys:
        console.print("no keys yet: `skillcast keys create NAME`")
