"""Runs mutmut over one part, in this process (python -m tools.mutation.worker PART N).

mutmut reads one configuration, [tool.mutmut] in pyproject.toml; the part narrows
what is mutated and which tests run. The configuration has to be in place before
mutmut's main module is imported (it reads it at import)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from tools.mutation.parts import by_name


def main() -> None:
    name, max_children = sys.argv[1], int(sys.argv[2])
    (part,) = by_name([name])
    narrowed = os.environ.get("TALK_MUTATION_NARROWED")
    if narrowed:  # --only / --tests: the driver's files and tests for this part
        chosen = json.loads(narrowed)
        part = dataclasses.replace(
            part, mutate=tuple(chosen["mutate"]), tests=tuple(chosen["tests"])
        )
    from mutmut import configuration

    configuration._config = dataclasses.replace(
        configuration._load_config(),
        only_mutate=list(part.mutate),
        pytest_add_cli_args_test_selection=list(part.tests),
    )
    from mutmut.__main__ import _run

    _run((), max_children)


if __name__ == "__main__":
    main()
