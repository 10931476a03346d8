#!/usr/bin/env bash
# Real-systemd integration test (issue 6): packs the checkout with `npm pack`, boots systemd 252
# in a Debian bookworm container (systemd-nspawn), installs the tarball with systemd/install.sh
# and exercises the unit. Needs root and apt; installs systemd-container and debootstrap when
# missing. The rootfs is cached in $ZAD_CI_CACHE (default /var/cache/zeek-anomalyd-ci).
# Prints "SKIP: <reason>" and exits 0 when the host cannot boot a container, unless
# ZAD_SYSTEMD_TEST=require. Details: test/systemd/nspawn-service.sh --help.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash test/systemd/nspawn-service.sh "$@"
