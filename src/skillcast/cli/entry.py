"""The ``skillcast`` console script.

``skillcast serve`` ends by exec'ing the BentoML server (``cli.serve``), so every import
before that is time before the service is ready; the other commands bring pandas, the
engine and the readers with them. So ``serve`` is started from its own module alone and
everything else from ``main``, which assembles every command (``skillcast --help`` lists
them all, ``serve`` included).
"""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        from skillcast.cli.serve import serve_app

        serve_app(args=sys.argv[2:], prog_name="skillcast serve")
        return
    from skillcast.cli.main import app

    app()


if __name__ == "__main__":
    main()
