# The names of the project's images, each overridable from the environment; sourced by
# the scripts that build or run them (scripts/build-images.sh, newcomer-matrix.sh).
# shellcheck shell=bash disable=SC2034  # the sourcing script uses them
BASE_IMAGE="${TALK_BASE_IMAGE:-talk-base:bookworm}"
POSTGRES_IMAGE="${TALK_POSTGRES_IMAGE:-talk-postgres:15}"
PYTHON_IMAGE="${TALK_PYTHON_IMAGE:-talk-python:3.11}"
DEPS_IMAGE="${TALK_DEPS_IMAGE:-talk-backend-deps:local}"
NEWCOMER_IMAGE="${TALK_NEWCOMER_IMAGE:-talk-newcomer:bookworm}"
