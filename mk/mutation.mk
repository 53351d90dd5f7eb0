# Mutation testing with mutmut (docs/mutation.md). `make mutation` runs every part and
# prints the table and the survivors; `make mutation-fast` is CI's step: domain and
# application on their unit tests, failing on any survivor not in
# tools/mutation/equivalents.toml. MUTATION_ARGS: e.g. `persistence --keep`.
MUTATION_ARGS ?=

mutation: venv
	$(PY) -m tools.mutation $(MUTATION_ARGS)

mutation-fast: venv
	$(PY) -m tools.mutation --fast

.PHONY: mutation mutation-fast
