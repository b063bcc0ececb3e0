"""``skillcast serve``: check what will be served, then become the BentoML server.

The command does its checks and preparation in one line each (bad input: exit 2), binds
the port, then ``exec``s BentoML's HTTP worker (uvicorn serving ``serving.service``) on
that socket, so the process a supervisor started *is* the server: one process, no
wrapper holding memory or the port, no second supervisor between the operator's (systemd,
Kubernetes) and the server. SIGTERM reaches it directly; it drains
(``skillcast.api.drain``) and exits only when the last accepted request has been
answered. (``bentoml serve`` would add its circus arbiter: another process importing the
service, for worker restarts the operator's supervisor already does.) Before that it:

* resolves a registered model (``models:/skillcast@champion``) to its bundle folder,
  downloaded once per version under ``SKILLCAST_HOME/served/`` (``mlops.pyfunc.served_bundle``),
  so the server loads a plain folder and never imports MLflow;
* gives the instance its own BentoML home, ``SKILLCAST_HOME/serve/HOST-PORT/bentoml``, and
  so its own Prometheus folder, emptied at start: with the shared default (``~/bentoml``)
  every instance that started wiped the others' metrics;
* sets ``BENTOML_DO_NOT_TRACK=true`` (BentoML reports usage to its vendor by default)
  unless the operator set it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from skillcast.cli.console import clear_errors, console
from skillcast.config import Config

SERVICE = "serving.service:SkillcastService"


def instance_environment(config: Config, host: str, port: int, base: dict[str, str]) -> dict[str, str]:
    """The server's environment: ``base`` plus this instance's own BentoML home and no usage tracking."""
    environment = dict(base)
    home = (config.home / "serve" / f"{host}-{port}" / "bentoml").resolve()
    home.mkdir(parents=True, exist_ok=True)
    environment["BENTOML_HOME"] = str(home)
    environment.setdefault("BENTOML_DO_NOT_TRACK", "true")
    return environment


def serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 3000,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    bundle: Annotated[Path | None, typer.Option(help="forecast bundle folder (default: the demo's under SKILLCAST_HOME)")] = None,
    model_uri: Annotated[
        str | None, typer.Option(help="serve a registered model instead, e.g. models:/skillcast@champion (default SKILLCAST_MODEL_URI)")
    ] = None,
    project_dir: Annotated[Path, typer.Option(help="folder holding serving/service.py")] = Path("."),
    api_keys_file: Annotated[
        Path | None,
        typer.Option(help="hashed API keys (default SKILLCAST_API_KEYS_FILE or SKILLCAST_HOME/api_keys.json); see `skillcast keys`"),
    ] = None,
) -> None:
    """Start the prediction service (BentoML) on the champion, a registered model or a bundle.

    With neither --bundle nor --model-uri (nor SKILLCAST_MODEL_URI) it serves the registry's
    champion (models:/skillcast@champion) when there is one, else the demo's bundle.

    Data endpoints need an API key (`skillcast keys create NAME`, or SKILLCAST_API_KEYS);
    /livez, /readyz, /metrics and /docs stay open. /readyz answers once the model is loaded.
    SIGTERM drains: requests already accepted are answered before the server exits.
    """
    environment = dict(os.environ)
    with clear_errors():
        if not (project_dir / "serving" / "service.py").is_file():
            raise FileNotFoundError(
                f"{project_dir.resolve()}: no serving/service.py here; run from the skillcast checkout or pass --project-dir"
            )
        config = Config.from_env()
        model_uri = model_uri or (None if bundle else config.model_uri)  # an explicit --bundle beats the environment
        resolved = None
        if model_uri:
            resolved = _served(model_uri, config)
        elif bundle is None and champion_uri(config):  # the champion when the registry has one; else the demo's bundle
            model_uri = f"models:/{config.registered_model}@champion"
            resolved = _served(model_uri, config)
        if resolved is not None:
            bundle, version = resolved
            environment.update(SKILLCAST_MODEL_URI=str(model_uri), SKILLCAST_MODEL_VERSION=version)
            serving = f"{model_uri} (version {version})"
        else:
            bundle = (bundle or config.resolved_bundle()).resolve()
            environment.pop("SKILLCAST_MODEL_URI", None)
            environment.pop("SKILLCAST_MODEL_VERSION", None)
            serving = str(bundle)
        from skillcast.data.bundle_files import check_bundle

        check_bundle(bundle)  # fail here, in one line, rather than inside the server
        environment["SKILLCAST_BUNDLE"] = str(Path(bundle).resolve())
        keys_file = api_keys_file.resolve() if api_keys_file else config.resolved_api_keys_file()
        environment["SKILLCAST_API_KEYS_FILE"] = str(keys_file)
        from skillcast.api.keys import list_keys

        usable = [key for key in list_keys(keys_file) if not key.revoked] + list(config.api_keys)
        if not usable:
            console.print(
                f"[bold yellow]no API keys[/] in {keys_file} or SKILLCAST_API_KEYS: every data endpoint will answer 401; "
                "create one with `skillcast keys create NAME`",
                highlight=False,
            )
        environment = instance_environment(config, host, port, environment)
    listener = _listen(host, port)  # bound here, so "address in use" is one line and exit 2, not a crash in the server
    environment = server_environment(environment, host, port)
    command = [
        sys.executable,
        "-m",
        "_bentoml_impl.worker.service",  # BentoML's HTTP worker: uvicorn serving the service on the socket it is given
        SERVICE,
        "--fd",
        str(listener.fileno()),
        "--service-name",
        "skillcast",
        "--worker-id",
        "1",
    ]
    console.print(f"serving {serving} on http://{host}:{port}  (docs: /docs, health: /readyz)", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(project_dir.resolve())  # the worker imports serving.service from here
    os.execve(sys.executable, command, environment)  # this process becomes the server: signals reach it directly


def _listen(host: str, port: int):
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        console.print(f"[bold red]error:[/] cannot listen on {host}:{port}: {error.strerror}", highlight=False)
        raise typer.Exit(2) from None
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def server_environment(environment: dict[str, str], host: str, port: int) -> dict[str, str]:
    """What BentoML's supervisor would have given its worker: an emptied metrics folder
    (in this instance's own BentoML home) and the address of the service."""
    import shutil

    metrics = Path(environment["BENTOML_HOME"]) / "prometheus_multiproc_dir"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    return {**environment, "PROMETHEUS_MULTIPROC_DIR": str(metrics), "BENTOML_RUNNER_MAP": f'{{"skillcast": "http://{host}:{port}"}}'}


def _served(model_uri: str, config: Config) -> tuple[Path, str]:
    """The local bundle folder and version of a registered model (downloaded once per version)."""
    from skillcast.mlops.served import served_bundle

    folder, _, version = served_bundle(model_uri, config.resolved_tracking_uri(), config.home / "served")
    return folder, version


def champion_uri(config: Config) -> str | None:
    """``models:/NAME@champion`` when the configured registry has a champion, else None.

    The default local store (SQLite under ``home``) is only opened when it exists, so
    asking never creates one.
    """
    if config.tracking_uri is None and not (config.home / "mlflow.db").is_file():
        return None
    from skillcast.mlops.served import alias_version

    if alias_version(config.resolved_tracking_uri(), config.registered_model, "champion"):  # read without MLflow when possible
        return f"models:/{config.registered_model}@champion"
    from skillcast.mlops.registry import Registry

    try:
        champion = Registry(config.resolved_tracking_uri(), config.registered_model).champion()
    except Exception:  # noqa: BLE001 - an unreachable registry means "no champion to serve", said by the caller
        return None
    return f"models:/{config.registered_model}@champion" if champion else None


serve_app = typer.Typer(add_completion=False, help="Start the prediction service.")  # `skillcast serve` alone (cli.entry)
serve_app.command()(serve)
