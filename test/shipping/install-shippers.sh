#!/usr/bin/env bash
# Installs the log shippers the shipping tests run (issue 18): rsyslog (imfile) and syslog-ng
# (wildcard-file()), from Debian's archive. Both packages claim to be THE system logger
# (Provides/Conflicts: system-log-daemon) and their postinst would start a system service, so
# neither is installed as a package: apt installs their library dependencies, `apt-get download`
# fetches the two .debs, and they are unpacked into $ZAD_CI_CACHE/shippers/<package>/, from where
# the tests run each as a foreground process with its own config, pid file and state directory.
# The host's own logger (if any) is never touched.
#   ZAD_CI_CACHE       cache directory (default /var/cache/zeek-anomalyd-ci)
#   ZAD_SHIPPER_TEST   'require' turns every skip into a failure
# Exit: 0 installed or skipped (a line starting "SKIP:" says why), 1 failed.
set -euo pipefail
CACHE=${ZAD_CI_CACHE:-/var/cache/zeek-anomalyd-ci}
DEST="$CACHE/shippers"
PACKAGES=(rsyslog syslog-ng-core)

skip() {
  if [ "${ZAD_SHIPPER_TEST:-}" = require ]; then echo "FAIL: cannot install the shippers (ZAD_SHIPPER_TEST=require): $*"; exit 1; fi
  echo "SKIP: shipper install: $*"; exit 0
}

[ "$(id -u)" = 0 ] || skip "not root (apt needs root); the shipping tests will skip"
command -v apt-get >/dev/null || skip "no apt-get"
mkdir -p "$DEST"
updated=no
for pkg in "${PACKAGES[@]}"; do
  if [ -f "$DEST/$pkg/.installed" ]; then echo "shippers: $pkg already unpacked in $DEST/$pkg"; continue; fi
  if [ "$updated" = no ]; then apt-get update -q >/dev/null; updated=yes; fi
  # The package's hard dependencies, as apt resolves them for this release (virtual names skipped).
  mapfile -t deps < <(apt-cache depends --important "$pkg" | awk '$1 ~ /Depends:$/ && $2 !~ /^</ {print $2}' | sort -u)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${deps[@]}" >/dev/null
  work=$(mktemp -d)
  # _apt downloads into a directory it can write.
  chmod 0777 "$work"
  (cd "$work" && apt-get download -q "$pkg" >/dev/null 2>&1) || { rm -rf "$work"; echo "FAIL: apt-get download $pkg"; exit 1; }
  rm -rf "$DEST/$pkg.new"
  dpkg-deb -x "$work"/"$pkg"_*.deb "$DEST/$pkg.new"
  dpkg-deb -f "$work"/"$pkg"_*.deb Version > "$DEST/$pkg.new/.installed"
  rm -rf "$work" "$DEST/$pkg"
  mv "$DEST/$pkg.new" "$DEST/$pkg"
  echo "shippers: $pkg $(cat "$DEST/$pkg/.installed") unpacked in $DEST/$pkg"
done
