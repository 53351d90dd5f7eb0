# Sourced by the scripts that build or run the project's images: where the repository
# is, and the images' names, each overridable from the environment.
# shellcheck shell=bash disable=SC2034  # the sourcing script uses them
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES="$ROOT/deployment/local/images"
BASE_IMAGE="${TALK_BASE_IMAGE:-talk-base:bookworm}"
POSTGRES_IMAGE="${TALK_POSTGRES_IMAGE:-talk-postgres:15}"
PYTHON_IMAGE="${TALK_PYTHON_IMAGE:-talk-python:3.11}"
DEPS_IMAGE="${TALK_DEPS_IMAGE:-talk-backend-deps:local}"
NEWCOMER_IMAGE="${TALK_NEWCOMER_IMAGE:-talk-newcomer:bookworm}"
