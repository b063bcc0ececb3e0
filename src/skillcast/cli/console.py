"""What every command shares: the console, one-line errors with exit code 2, stage progress.

Bad input (a ``DataError``, an unknown area, a bad option) ends with one line on stderr
naming what was wrong, and exit code 2 — never a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
errors = Console(stderr=True)

EXIT_BAD_INPUT = 2


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the errors users cause into one line and exit code 2."""
    try:
        yield
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "input"
        errors.print(f"[bold red]error:[/] setting {where}: {first['msg']} (got {first.get('input')!r})", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as error:
        if not isinstance(error, user_errors()):
            raise
        errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def user_errors() -> tuple[type[Exception], ...]:
    """The errors users cause. Imported when an error is being classified, not with this
    module: they live beside pandas-based code, and `skillcast serve` execs the server, so
    every import before that is time before the service is ready (BENCHMARKS.md)."""
    from skillcast.bundle import AmbiguousArea, InvalidQuery, UnknownArea
    from skillcast.data.schema import DataError

    return (DataError, InvalidQuery, UnknownArea, AmbiguousArea, FileNotFoundError, ValueError)


@contextmanager
def stages(names: list[str]) -> Iterator[Callable[[str], None]]:
    """A progress bar over named stages; call the yielded function as each stage starts."""
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("starting", total=len(names))
        seen: list[str] = []

        def advance(stage: str) -> None:
            if seen:
                progress.advance(task)
            seen.append(stage)
            progress.update(task, description=f"stage {len(seen)}/{len(names)}: {stage}")

        yield advance
        progress.update(task, completed=len(names), description=f"done in {time.perf_counter() - started:.1f}s")
