#!/usr/bin/env bash
# Build a trimmed Debian bookworm root filesystem in ROOTFS with debootstrap, from the mirror
# the machine's apt sources name (no image can be pulled here, and no mirror address may
# live in the repository). Usage: mkrootfs.sh ROOTFS MIRROR [SECURITY_MIRROR]
set -euo pipefail

ROOTFS="$1"
MIRROR="$2"
SECURITY_MIRROR="${3:-}"
SUITE=bookworm
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >&2

# Later `apt-get install` steps in derived images see the same mirrors as the host did.
{
  echo "deb $MIRROR $SUITE main"
  echo "deb $MIRROR $SUITE-updates main"
  [[ -n "$SECURITY_MIRROR" ]] && echo "deb $SECURITY_MIRROR $SUITE-security main"
} >"$ROOTFS/etc/apt/sources.list"

# Keep docs, man pages and locales out of this image and of every package installed on it.
install -m 0644 "$HERE/dpkg-excludes" "$ROOTFS/etc/dpkg/dpkg.cfg.d/talk-excludes"
install -m 0644 "$HERE/apt-slim.conf" "$ROOTFS/etc/apt/apt.conf.d/90talk-slim"

rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/log/*.log \
  "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/var/lib/dpkg/*-old
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*
