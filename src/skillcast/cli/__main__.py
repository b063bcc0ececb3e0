"""``python -m skillcast.cli``: the same command as the ``skillcast`` script."""

from skillcast.cli.main import app

app()
