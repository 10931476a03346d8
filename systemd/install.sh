#!/bin/sh
# Install, upgrade or remove zeek-anomalyd as a systemd service. See docs/operations.md.
#
#   install.sh [options] zeek-anomalyd-VERSION.tgz      install or upgrade from an npm pack tarball
#   install.sh --uninstall [--purge]                     remove (keeps config, state, logs unless --purge)
#
# POSIX sh on purpose: sensors are often minimal Debian/RHEL hosts without bash extras.
set -eu

PROGRAM=zeek-anomalyd
PREFIX=/opt/zeek-anomalyd
CONF_DIR=/etc/zeek-anomalyd
CONF_FILE=$CONF_DIR/zeek-anomalyd.ini
UNIT_DIR=/usr/local/lib/systemd/system
UNIT_FILE=$UNIT_DIR/zeek-anomalyd.service
DROPIN_DIR=/etc/systemd/system/zeek-anomalyd.service.d
SERVICE_USER=zeek-anomalyd
STATE_DIR=/var/lib/zeek-anomalyd
LOGS_DIR=/var/log/zeek-anomalyd
# The unit's ExecStart names this node; another path gets an ExecStart override drop-in.
UNIT_NODE=/usr/bin/node
MIN_NODE_MAJOR=20
MIN_NODE_MINOR=19

usage() {
  cat <<EOF
usage: install.sh [options] TARBALL
       install.sh --uninstall [--purge]

Installs the npm pack tarball TARBALL to $PREFIX, the unit to $UNIT_FILE,
creates the $SERVICE_USER user and group, installs the default INI to $CONF_FILE
(never overwriting an edited one) and enables the service. Rerun it to upgrade.

options:
  --node-modules DIR  runtime node_modules to install when TARBALL does not bundle them
                      (e.g. a copy of an 'npm ci --omit=dev' tree built for the same version)
  --node PATH         node binary for the service (default: node on PATH; needs >= $MIN_NODE_MAJOR.$MIN_NODE_MINOR)
  --zeek-group NAME   group allowed to read Zeek's logs (default: zeek); 'none': no extra group
  --metrics           also install the metrics drop-in (network access for [metrics] enabled = true)
  --start             start the service now (an upgrade restarts a running service anyway)
  --no-enable         do not enable the service at boot
  --uninstall         stop, disable and remove the program and unit; keep config, state and logs
  --purge             with --uninstall: also remove $CONF_DIR, $STATE_DIR, $LOGS_DIR,
                      the drop-in directory and the $SERVICE_USER user and group
  -h, --help          show this help
EOF
}

say() { printf '%s: %s\n' "$PROGRAM install" "$*"; }
die() { printf '%s: error: %s\n' "$PROGRAM install" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s\n' "$PROGRAM install" "$*" >&2; usage >&2; exit 2; }

TARBALL=
NODE_MODULES=
NODE_BIN=
ZEEK_GROUP=zeek
WITH_METRICS=no
START=no
ENABLE=yes
UNINSTALL=no
PURGE=no
while [ $# -gt 0 ]; do
  case $1 in
    --node-modules) [ $# -ge 2 ] || usage_error "$1 needs a value"; NODE_MODULES=$2; shift 2 ;;
    --node) [ $# -ge 2 ] || usage_error "$1 needs a value"; NODE_BIN=$2; shift 2 ;;
    --zeek-group) [ $# -ge 2 ] || usage_error "$1 needs a value"; ZEEK_GROUP=$2; shift 2 ;;
    --metrics) WITH_METRICS=yes; shift ;;
    --start) START=yes; shift ;;
    --no-enable) ENABLE=no; shift ;;
    --uninstall) UNINSTALL=yes; shift ;;
    --purge) PURGE=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *) [ -z "$TARBALL" ] || usage_error "only one tarball"; TARBALL=$1; shift ;;
  esac
done

[ "$(id -u)" = 0 ] || die "must run as root"
command -v systemctl >/dev/null 2>&1 || die "systemctl not found: this installer needs systemd"

# ---------------------------------------------------------------------------------- uninstall
if [ "$UNINSTALL" = yes ]; then
  [ -z "$TARBALL" ] || usage_error "--uninstall takes no tarball"
  if systemctl cat zeek-anomalyd.service >/dev/null 2>&1; then
    systemctl disable --now zeek-anomalyd.service || say "warning: could not stop/disable the service"
  fi
  rm -f "$UNIT_FILE" "$DROPIN_DIR/50-install.conf" "$DROPIN_DIR/60-metrics.conf"
  rmdir "$DROPIN_DIR" 2>/dev/null || true
  rm -rf "$PREFIX"
  if [ "$PURGE" = yes ]; then
    rm -rf "$DROPIN_DIR" "$CONF_DIR" "$STATE_DIR" "$LOGS_DIR"
    if getent passwd "$SERVICE_USER" >/dev/null; then userdel "$SERVICE_USER"; fi
    if getent group "$SERVICE_USER" >/dev/null; then groupdel "$SERVICE_USER"; fi
    say "removed $PROGRAM with its configuration, state, logs, user and group"
  else
    say "removed $PROGRAM; kept $CONF_DIR, $STATE_DIR, $LOGS_DIR and the $SERVICE_USER user (--purge removes them)"
  fi
  systemctl daemon-reload
  systemctl reset-failed zeek-anomalyd.service 2>/dev/null || true
  exit 0
fi
[ "$PURGE" = no ] || usage_error "--purge only goes with --uninstall"

# ---------------------------------------------------------------------------------- checks
[ -n "$TARBALL" ] || usage_error "missing TARBALL"
[ -f "$TARBALL" ] || die "no such file: $TARBALL"
if [ -z "$NODE_BIN" ]; then
  NODE_BIN=$(command -v node 2>/dev/null) || die "node not found on PATH; pass --node PATH"
fi
[ -x "$NODE_BIN" ] || die "not executable: $NODE_BIN"
case $NODE_BIN in /*) ;; *) die "--node needs an absolute path: $NODE_BIN" ;; esac
"$NODE_BIN" -e "const [a,b]=process.versions.node.split('.').map(Number);
  process.exit(a>$MIN_NODE_MAJOR||(a===$MIN_NODE_MAJOR&&b>=$MIN_NODE_MINOR)?0:1)" \
  || die "$NODE_BIN is node $("$NODE_BIN" -v); $PROGRAM needs >= $MIN_NODE_MAJOR.$MIN_NODE_MINOR"

# ---------------------------------------------------------------------------------- program
# Unpack beside the target and swap directories, so a failed unpack leaves the old install intact.
STAGING=$PREFIX.new.$$
OLD=$PREFIX.old.$$
PREVIOUS_DEFAULT=
cleanup() { rm -rf "$STAGING" "$OLD" "$STAGING.previous-default.ini"; }
trap cleanup EXIT INT TERM
mkdir -p "$STAGING"
tar -xzf "$TARBALL" -C "$STAGING" --strip-components=1 --no-same-owner \
  || die "cannot unpack $TARBALL (expected an npm pack .tgz)"
[ -f "$STAGING/dist/cli.js" ] || die "$TARBALL has no dist/cli.js: not a $PROGRAM release tarball"
[ -f "$STAGING/systemd/zeek-anomalyd.service" ] || die "$TARBALL has no systemd/zeek-anomalyd.service"
if [ ! -d "$STAGING/node_modules" ]; then
  [ -n "$NODE_MODULES" ] || die "$TARBALL does not bundle its dependencies; pass --node-modules DIR"
  [ -d "$NODE_MODULES" ] || die "no such directory: $NODE_MODULES"
  cp -R "$NODE_MODULES" "$STAGING/node_modules"
fi
"$NODE_BIN" "$STAGING/dist/cli.js" --help >/dev/null 2>&1 \
  || die "the unpacked program does not start: $NODE_BIN $STAGING/dist/cli.js --help"
chown -R root:root "$STAGING"
chmod -R u=rwX,go=rX "$STAGING"

# The INI shipped by the install being replaced: an INI equal to it was never edited.
if [ -f "$PREFIX/config/zeek-anomalyd.ini" ]; then
  PREVIOUS_DEFAULT=$STAGING.previous-default.ini
  cp "$PREFIX/config/zeek-anomalyd.ini" "$PREVIOUS_DEFAULT"
fi
if [ -d "$PREFIX" ]; then mv "$PREFIX" "$OLD"; fi
mv "$STAGING" "$PREFIX"
rm -rf "$OLD"
say "installed $("$NODE_BIN" -p "JSON.parse(require('fs').readFileSync('$PREFIX/package.json','utf8')).version" 2>/dev/null || echo '?') to $PREFIX"

# ---------------------------------------------------------------------------------- user
if ! getent group "$SERVICE_USER" >/dev/null; then
  groupadd --system "$SERVICE_USER"
  say "created group $SERVICE_USER"
fi
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  NOLOGIN=/usr/sbin/nologin
  [ -x "$NOLOGIN" ] || NOLOGIN=/sbin/nologin
  useradd --system --gid "$SERVICE_USER" --home-dir "$STATE_DIR" --no-create-home \
    --shell "$NOLOGIN" --comment "zeek-anomalyd daemon" "$SERVICE_USER"
  say "created user $SERVICE_USER"
fi

# ---------------------------------------------------------------------------------- config
NEW_DEFAULT=$PREFIX/config/zeek-anomalyd.ini
install -d -m 0755 -o root -g root "$CONF_DIR"
if [ ! -e "$CONF_FILE" ]; then
  install -m 0640 -o root -g "$SERVICE_USER" "$NEW_DEFAULT" "$CONF_FILE"
  say "installed the default configuration $CONF_FILE"
elif cmp -s "$CONF_FILE" "$NEW_DEFAULT"; then
  say "kept $CONF_FILE (same as the new default)"
elif [ -n "$PREVIOUS_DEFAULT" ] && cmp -s "$CONF_FILE" "$PREVIOUS_DEFAULT"; then
  install -m 0640 -o root -g "$SERVICE_USER" "$NEW_DEFAULT" "$CONF_FILE"
  say "updated $CONF_FILE to the new default (it had not been edited)"
else
  install -m 0644 -o root -g root "$NEW_DEFAULT" "$CONF_FILE.dist"
  say "kept your edited $CONF_FILE; the new default is $CONF_FILE.dist"
fi

# ---------------------------------------------------------------------------------- unit
install -d -m 0755 "$UNIT_DIR"
install -m 0644 -o root -g root "$PREFIX/systemd/zeek-anomalyd.service" "$UNIT_FILE"
install -d -m 0755 "$DROPIN_DIR"
# Installer-owned settings live in 50-install.conf, rewritten on every run; the admin's own
# changes go in override.conf (systemctl edit zeek-anomalyd), which this script never touches.
{
  echo "# Written by $PREFIX/systemd/install.sh on every install; do not edit."
  echo "# Put your own changes in override.conf (systemctl edit zeek-anomalyd)."
  echo "[Service]"
  if [ "$ZEEK_GROUP" = none ]; then
    echo "SupplementaryGroups="
  elif ! getent group "$ZEEK_GROUP" >/dev/null; then
    say "warning: group '$ZEEK_GROUP' does not exist; the service gets no extra group and can read" \
        "only world-readable Zeek logs (rerun with --zeek-group NAME)" >&2
    echo "SupplementaryGroups="
  elif [ "$ZEEK_GROUP" != zeek ]; then
    echo "SupplementaryGroups="
    echo "SupplementaryGroups=$ZEEK_GROUP"
  fi
  if [ "$NODE_BIN" != "$UNIT_NODE" ]; then
    echo "ExecStart="
    sed -n "s|^ExecStart=$UNIT_NODE |ExecStart=$NODE_BIN |p" "$UNIT_FILE"
  fi
} > "$DROPIN_DIR/50-install.conf"
chmod 0644 "$DROPIN_DIR/50-install.conf"
if [ "$WITH_METRICS" = yes ]; then
  install -m 0644 "$PREFIX/systemd/metrics.conf" "$DROPIN_DIR/60-metrics.conf"
  say "installed the metrics drop-in $DROPIN_DIR/60-metrics.conf"
fi
systemctl daemon-reload

# ---------------------------------------------------------------------------------- check + enable
if "$NODE_BIN" "$PREFIX/dist/cli.js" check-config -c "$CONF_FILE" >/dev/null 2>&1; then
  say "$CONF_FILE is valid"
else
  say "warning: $CONF_FILE has problems; see: $NODE_BIN $PREFIX/dist/cli.js check-config -c $CONF_FILE" >&2
fi
if [ "$ENABLE" = yes ]; then
  systemctl enable zeek-anomalyd.service >/dev/null 2>&1 || die "systemctl enable zeek-anomalyd failed"
  say "enabled zeek-anomalyd.service"
fi
if [ "$START" = yes ]; then
  systemctl restart zeek-anomalyd.service
  say "started zeek-anomalyd.service"
elif systemctl is-active --quiet zeek-anomalyd.service; then
  systemctl restart zeek-anomalyd.service
  say "restarted the running zeek-anomalyd.service on the new version"
else
  say "start it with: systemctl start zeek-anomalyd"
fi
