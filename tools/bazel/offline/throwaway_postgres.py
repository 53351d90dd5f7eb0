"""Start or stop a throwaway PostgreSQL for run.sh's db_connect check.

Uses the PyPI package pgserver (PostgreSQL binaries in the project's venv), so the
check needs neither Docker nor Debian's server. `start DIR` prints the URL and
leaves the server running; `stop DIR` stops it.
"""

import sys

import pgserver


def main(command: str, pgdata: str) -> None:
    if command == "start":
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        print(server.get_uri())
    elif command == "stop":
        pgserver.get_server(pgdata, cleanup_mode="stop").cleanup()
    else:
        raise SystemExit(f"usage: {sys.argv[0]} start|stop PGDATA")


if __name__ == "__main__":
    main(*sys.argv[1:3])
