#!/usr/bin/env bash
# Real-systemd integration test for zeek-anomalyd (issue 6).
#
# Boots systemd 252 in a Debian bookworm container (debootstrap + systemd-nspawn --boot, the
# recipe in ../shared/reference/systemd-in-ci.md), installs the release tarball with the
# shipped systemd/install.sh, writes dce_rpc.log as a `zeek` user with mode 0640, and checks the
# unit end to end: readiness, anomalies written, watchdog fed, reload (valid applied, invalid
# refused while running), clean stop, a journal free of errors, and the uninstall path.
#
# usage: test/systemd/nspawn-service.sh [--tarball FILE]
#   --tarball FILE  test this npm pack tarball instead of packing the checkout
# env:
#   ZAD_CI_CACHE          rootfs cache (default /var/cache/zeek-anomalyd-ci; reused across runs)
#   ZAD_SYSTEMD_TEST      'require' turns every skip into a failure (use on hosts that must run it)
#   MIRROR                Debian mirror for debootstrap (default: read from apt's own config)
#   ZAD_KEEP_WORK=1       keep the scratch directory for inspection
#   ZAD_DEBUG_HOLD=SECS   on failure, keep the container up this long (prints how to enter it)
# Exit: 0 passed or skipped (a line starting "SKIP:" says why), 1 failed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${ZAD_CI_CACHE:-/var/cache/zeek-anomalyd-ci}
# Bump the suffix whenever the package list changes, so a stale cache is never reused.
ROOTFS_PACKAGES=systemd,dbus,libnss-systemd,procps
ROOTFS=$CACHE/rootfs-bookworm-v1
UNIT=zeek-anomalyd.service
# Short enough that a few intervals pass during the test; the shipped unit uses 30 s.
WATCHDOG_SEC=3
TARBALL=

while [ $# -gt 0 ]; do
  case $1 in
    --tarball) TARBALL=$(realpath "$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

T0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }
skip() {
  if [ "${ZAD_SYSTEMD_TEST:-}" = require ]; then echo "FAIL: cannot run (ZAD_SYSTEMD_TEST=require): $*"; exit 1; fi
  echo "SKIP: systemd integration test: $*"; exit 0
}
CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok $CHECKS - $*"; }

# ------------------------------------------------------------------------------- host prerequisites
[ "$(uname -s)" = Linux ] || skip "needs Linux"
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn needs CAP_SYS_ADMIN)"
NODE=$(readlink -f "$(command -v node)") || skip "node not on PATH"
# The host's node is bind-mounted into the container: it must not need host-only libraries.
if ldd "$NODE" 2>/dev/null | grep libnode >/dev/null; then skip "$NODE links libnode.so (distro build); use a nodejs.org or NodeSource node"; fi
if ! command -v systemd-nspawn >/dev/null || ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || skip "systemd-nspawn/debootstrap missing and no apt-get to install them"
  T=$(date +%s.%N)
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd-container debootstrap >/dev/null \
    || skip "cannot install systemd-container and debootstrap"
  echo "[time] host tools installed: $(elapsed "$T")"
fi

WORK=$(mktemp -d /tmp/zad-systemd-test.XXXXXX)
NSPAWN_PID=
halt_container() {
  [ -n "$NSPAWN_PID" ] || return 0
  kill -TERM "$NSPAWN_PID" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  NSPAWN_PID=
}
finish() {
  halt_container
  if [ "${ZAD_KEEP_WORK:-}" = 1 ]; then echo "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap finish EXIT

# ------------------------------------------------------------------------------- release tarball
mkdir -p "$WORK/ci"
if [ -z "$TARBALL" ]; then
  T=$(date +%s.%N)
  (cd "$REPO" && npm pack --silent --pack-destination "$WORK" >"$WORK/pack.log" 2>&1) \
    || { cat "$WORK/pack.log"; echo "FAIL: npm pack"; exit 1; }
  TARBALL=$(ls "$WORK"/zeek-anomalyd-*.tgz)
  echo "[time] npm pack: $(elapsed "$T")"
fi
cp "$TARBALL" "$WORK/ci/zeek-anomalyd.tgz"
tar -xzf "$TARBALL" -C "$WORK" package/systemd/install.sh
cp "$WORK/package/systemd/install.sh" "$WORK/ci/install.sh"
INSTALL_ARGS=()
tar -tzf "$TARBALL" > "$WORK/tarball.list"
if ! grep -q '^package/node_modules/' "$WORK/tarball.list"; then
  # The tarball does not bundle its dependencies (package.json lacks bundleDependencies):
  # hand the installer the production subset of the checkout's node_modules instead.
  echo "# note: tarball has no bundled node_modules; passing --node-modules from the checkout"
  mkdir -p "$WORK/ci/node_modules"
  (cd "$REPO" && npm ls --omit=dev --all --parseable 2>/dev/null) \
    | sed -n "s|^$REPO/node_modules/||p" | grep -v '/node_modules/' \
    | while read -r dep; do
        mkdir -p "$WORK/ci/node_modules/$(dirname "$dep")"
        cp -a "$REPO/node_modules/$dep" "$WORK/ci/node_modules/$dep"
      done
  INSTALL_ARGS+=(--node-modules /mnt/ci/node_modules)
fi

# ------------------------------------------------------------------------------- rootfs (cached)
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ ! -x "$ROOTFS/usr/lib/systemd/systemd" ]; then
  T=$(date +%s.%N)
  MIRROR=${MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 'Codename: bookworm' 2>/dev/null | sort -u | head -1)}
  [ -n "$MIRROR" ] || skip "no bookworm mirror in apt's config; set MIRROR="
  rm -rf "$ROOTFS.tmp"
  debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" bookworm "$ROOTFS.tmp" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; skip "debootstrap failed (mirror $MIRROR)"; }
  rm -rf "$ROOTFS.tmp"/var/cache/apt/archives/*.deb
  mv "$ROOTFS.tmp" "$ROOTFS"
  echo "[time] debootstrap: $(elapsed "$T"), rootfs $(du -sh "$ROOTFS" | cut -f1)"
else
  echo "# rootfs reused from $ROOTFS"
fi
flock -u 9

# ------------------------------------------------------------------------------- boot
# --ephemeral: a throwaway copy, so the cached rootfs stays pristine for the next run.
# --register=no --keep-unit: the host's PID 1 may not be systemd (no bus, no machined).
T=$(date +%s.%N)
setsid systemd-nspawn -D "$ROOTFS" --ephemeral --boot --register=no --keep-unit \
  --private-network --console=read-only --machine="zad-ci-$$" \
  --bind-ro="$NODE":/usr/bin/node --bind-ro="$WORK/ci":/mnt/ci \
  >"$WORK/console.log" 2>&1 </dev/null &
NSPAWN_PID=$!
LEADER=
for _ in $(seq 1 300); do
  for child in $(pgrep -P "$NSPAWN_PID" || true); do
    # The container's PID 1 is the nspawn child whose innermost namespace PID is 1.
    if awk '/^NSpid:/ { exit !($NF == 1) }' "/proc/$child/status" 2>/dev/null; then LEADER=$child; fi
  done
  [ -n "$LEADER" ] && break
  kill -0 "$NSPAWN_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$LEADER" ] || { cat "$WORK/console.log"; skip "systemd-nspawn could not boot the container (console above)"; }
# A clean environment: the host's (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...) must not leak in.
C() { nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
STATE=
for _ in $(seq 1 600); do
  STATE=$(C systemctl is-system-running 2>/dev/null) || true
  case $STATE in running|degraded) break ;; esac
  sleep 0.1
done
case $STATE in running|degraded) ;; *) cat "$WORK/console.log"; skip "container systemd did not finish booting (state '$STATE')" ;; esac
echo "[time] container boot to '$STATE': $(elapsed "$T")"

fail() {
  echo "not ok - $*"
  echo "--- systemctl status"; C systemctl status "$UNIT" --no-pager 2>&1 | head -20 || true
  echo "--- journal of $UNIT"; C journalctl -u "$UNIT" --no-pager -o short-precise 2>&1 | tail -60 || true
  if [ -n "${ZAD_DEBUG_HOLD:-}" ]; then
    echo "container kept for ${ZAD_DEBUG_HOLD}s: nsenter -t $LEADER -a bash"; sleep "$ZAD_DEBUG_HOLD"
  fi
  exit 1
}
prop() { C systemctl show -p "$1" --value "$UNIT"; }
# Journal messages after cursor $1 for which the JavaScript expression $2 over entry `e` holds.
# (Filtering on the host: journalctl 252 returns nothing for --after-cursor combined with a match
# that the cursor's own entry does not satisfy.)
journal_lines() {
  C journalctl --no-pager -o json --after-cursor="$1" | node -e '
    const keep = new Function("e", "return (" + process.argv[1] + ");");
    let text = ""; process.stdin.on("data", (d) => { text += d; });
    process.stdin.on("end", () => { for (const line of text.split("\n")) {
      if (!line) continue; const e = JSON.parse(line); e.PRIORITY = Number(e.PRIORITY ?? 6);
      if (keep(e)) console.log(`${e.__REALTIME_TIMESTAMP} ${e.PRIORITY} ${e.MESSAGE}`); } });' "$2"
}
# Lines of the unit (the daemon and systemd's messages about it): "usec priority message".
UNIT_MATCH="(e._SYSTEMD_UNIT === '$UNIT' || e.UNIT === '$UNIT')"
cursor() {
  local c
  c=$(C journalctl -n 1 --show-cursor -q -o cat | sed -n 's/^-- cursor: //p')
  [ -n "$c" ] || fail "cannot read a journal cursor"
  echo "$c"
}
# Waits up to $1 seconds for "$2..." to succeed.
wait_for() {
  local seconds=$1; shift
  for _ in $(seq 1 $((seconds * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}

# ------------------------------------------------------------------------------- Zeek side
# A zeekctl-like layout: logs/current owned by zeek, files 0640, so only the zeek group can read.
ZEEK_LOG=/opt/zeek/logs/current/dce_rpc.log
C groupadd --system zeek
C useradd --system --gid zeek --home-dir /opt/zeek --shell /usr/sbin/nologin zeek
C install -d -m 0750 -o zeek -g zeek /opt/zeek /opt/zeek/logs /opt/zeek/logs/current
as_zeek() { C setpriv --reuid zeek --regid zeek --init-groups sh -c "umask 027; $1"; }

NOW=$(date +%s)
# Zeek TSV records: a handful of recurring normal patterns, and anomalies that differ from every
# pattern in all six default features (endpoint, pipe, operation, both IP groups, time of day).
normal_rows() { # $1 = first index, $2 = count
  awk -v first="$1" -v n="$2" -v now="$NOW" 'BEGIN {
    split("lsarpc samr netlogon srvsvc", ep, " "); split("\\\\pipe\\\\lsass \\\\pipe\\\\lsass \\\\pipe\\\\netlogon \\\\pipe\\\\srvsvc", pipe, " ")
    split("LsarLookupSids SamrConnect5 NetrLogonSamLogonEx NetrShareEnum", op, " ")
    for (i = first; i < first + n; i++) { p = i % 4 + 1
      printf "%.6f\tCnorm%07d\t10.1.%d.%d\t%d\t10.0.0.%d\t445\t0.000412\t%s\t%s\t%s\n",
        now - 60 + i * 0.01, i, p, i % 200 + 10, 49152 + i % 1000, p + 1, pipe[p], ep[p], op[p] } }'
}
anomaly_row() { # $1 = uid
  printf '%.6f\t%s\t203.0.113.66\t51515\t198.51.100.7\t135\t0.090000\t\\pipe\\atsvc\tatsvc\tSchRpcRegisterTask\n' \
    "$((NOW - 43200))" "$1"
}
{
  printf '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdce_rpc\n'
  printf '#open\t%s\n' "$(date -u +%Y-%m-%d-%H-%M-%S)"
  printf '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\trtt\tnamed_pipe\tendpoint\toperation\n'
  printf '#types\ttime\tstring\taddr\tport\taddr\tport\tinterval\tstring\tstring\tstring\n'
  normal_rows 0 400
} > "$WORK/ci/dce_rpc.head"
as_zeek "cat /mnt/ci/dce_rpc.head > $ZEEK_LOG"
append_as_zeek() { cat > "$WORK/ci/append.tsv"; as_zeek "cat /mnt/ci/append.tsv >> $ZEEK_LOG"; }
[ "$(C stat -c '%a %U %G' "$ZEEK_LOG")" = "640 zeek zeek" ] || fail "dce_rpc.log should be 0640 zeek:zeek"
ok "dce_rpc.log written by the zeek user with mode 0640 ($(C wc -l "$ZEEK_LOG" | cut -d" " -f1) lines)"

# ------------------------------------------------------------------------------- install
T=$(date +%s.%N)
C sh /mnt/ci/install.sh "${INSTALL_ARGS[@]}" /mnt/ci/zeek-anomalyd.tgz > "$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log"; fail "install.sh failed"; }
sed 's/^/# /' "$WORK/install.log"
echo "[time] install.sh: $(elapsed "$T")"
[ "$(C systemctl is-enabled "$UNIT")" = enabled ] || fail "install.sh did not enable $UNIT"
C test -f /opt/zeek-anomalyd/dist/cli.js || fail "no /opt/zeek-anomalyd/dist/cli.js"
C id zeek-anomalyd >/dev/null || fail "no zeek-anomalyd user"
C cmp -s /etc/zeek-anomalyd/zeek-anomalyd.ini /opt/zeek-anomalyd/config/zeek-anomalyd.ini \
  || fail "the default INI was not installed"
[ "$(C stat -c '%a %U %G' /etc/zeek-anomalyd/zeek-anomalyd.ini)" = "640 root zeek-anomalyd" ] \
  || fail "INI should be 0640 root:zeek-anomalyd"
ok "install.sh installed /opt/zeek-anomalyd, the user, the default INI and enabled the unit"

write_ini() { # $1 = distance_threshold value
  cat > "$WORK/ci/test.ini" <<EOF
; written by test/systemd/nspawn-service.sh
[input]
paths = $ZEEK_LOG
poll_interval = 200ms

[training]
sample_every = 1
min_rows = 200

[model]
k = 4
n_init = 2
seed = 7

[scoring]
rule = distance
distance_threshold = $1

[output]

[logging]
stats_interval = 5s
EOF
  C install -m 0640 -o root -g zeek-anomalyd /mnt/ci/test.ini /etc/zeek-anomalyd/zeek-anomalyd.ini
}
write_ini 3
C node /opt/zeek-anomalyd/dist/cli.js check-config -c /etc/zeek-anomalyd/zeek-anomalyd.ini >/dev/null \
  || fail "the test INI does not pass check-config"

# Reinstalling must keep the edited INI and put the new default beside it.
C sh /mnt/ci/install.sh "${INSTALL_ARGS[@]}" /mnt/ci/zeek-anomalyd.tgz > "$WORK/install2.log" 2>&1 \
  || { cat "$WORK/install2.log"; fail "second install.sh failed"; }
C cmp -s /etc/zeek-anomalyd/zeek-anomalyd.ini /mnt/ci/test.ini || fail "reinstall overwrote the edited INI"
C test -f /etc/zeek-anomalyd/zeek-anomalyd.ini.dist || fail "reinstall did not write zeek-anomalyd.ini.dist"
ok "reinstall kept the edited INI and wrote the new default as zeek-anomalyd.ini.dist"

C install -d /etc/systemd/system/zeek-anomalyd.service.d
printf '[Service]\nWatchdogSec=%ss\n' "$WATCHDOG_SEC" > "$WORK/ci/90-ci.conf"
C install -m 0644 /mnt/ci/90-ci.conf /etc/systemd/system/zeek-anomalyd.service.d/90-ci.conf
C systemctl daemon-reload
VERIFY=$(C systemd-analyze verify "$UNIT" 2>&1) || fail "systemd-analyze verify failed: $VERIFY"
[ -z "$VERIFY" ] || fail "systemd-analyze verify printed: $VERIFY"
ok "systemd-analyze verify is silent on the installed unit and drop-ins"

# ------------------------------------------------------------------------------- start
CURSOR_START=$(cursor)
T=$(date +%s.%N)
# Type=notify: `systemctl start` returns only once the daemon has sent READY=1.
C timeout 100 systemctl start "$UNIT" || fail "systemctl start failed (no READY=1?)"
echo "[time] start to READY=1: $(elapsed "$T")"
[ "$(prop ActiveState)/$(prop SubState)" = active/running ] || fail "not active/running after start"
PID=$(prop MainPID)
ok "readiness reached: active/running, MainPID $PID, status '$(prop StatusText)'"

[ "$(C ps -o user= -p "$PID" | tr -d ' ')" = zeek-anomalyd ] || fail "main process is not running as zeek-anomalyd"
ZEEK_GID=$(C getent group zeek | cut -d: -f3)
C grep -Eq "^Groups:.*\b$ZEEK_GID\b" "/proc/$PID/status" || fail "main process lacks the zeek group"
ok "runs as zeek-anomalyd with supplementary group zeek"

# ------------------------------------------------------------------------------- anomalies
ANOMALIES=/var/log/zeek-anomalyd/anomalies.log
has_uid() { C grep -qs "$1" "$ANOMALIES"; }
normal_rows 400 400 | append_as_zeek
# Whether the daemon trains on the file's start or only on live rows, it has a model after
# these; keep appending normal traffic with one anomaly until it is reported.
for round in $(seq 1 30); do
  { normal_rows $((800 + round * 50)) 50; anomaly_row "CAnomaly$(printf %03d "$round")"; } | append_as_zeek
  if wait_for 2 has_uid CAnomaly; then break; fi
done
has_uid CAnomaly || fail "no anomaly in $ANOMALIES after $round rounds"
[ "$(C stat -c '%U' "$ANOMALIES")" = zeek-anomalyd ] || fail "anomalies.log not owned by zeek-anomalyd"
if C grep -q Cnorm "$ANOMALIES"; then
  echo "# note: normal rows were also reported: $(C grep -c Cnorm "$ANOMALIES")"
fi
ok "anomalies written to $ANOMALIES ($(C grep -c CAnomaly "$ANOMALIES") reported)"

# ------------------------------------------------------------------------------- watchdog
# WatchdogTimestamp is the time of the last WATCHDOG=1; it must advance, with no restart.
sleep "$WATCHDOG_SEC"
W1=$(prop WatchdogTimestampMonotonic)
sleep "$WATCHDOG_SEC"
W2=$(prop WatchdogTimestampMonotonic)
[ "$W1" != 0 ] && [ "$W2" -gt "$W1" ] || fail "watchdog not fed (WatchdogTimestampMonotonic $W1 -> $W2)"
[ "$(prop NRestarts)" = 0 ] && [ "$(prop MainPID)" = "$PID" ] || fail "the service restarted"
ok "watchdog fed: last ping moved $(((W2 - W1) / 1000)) ms in ${WATCHDOG_SEC} s (WatchdogSec=${WATCHDOG_SEC}s), no restart"

# ------------------------------------------------------------------------------- reload
# The main process's own messages after cursor $1, at priority $2 (syslog number) or more severe.
daemon_lines() { journal_lines "$1" "e._PID === '$PID' && e.PRIORITY <= $2" | cut -d' ' -f3-; }
CURSOR=$(cursor)
write_ini 4
C systemctl reload "$UNIT" || fail "systemctl reload failed"
reload_logged() { daemon_lines "$CURSOR" 6 | grep -i 'reload' >/dev/null; }
wait_for 10 reload_logged || fail "no reload line in the journal after a valid reload"
daemon_lines "$CURSOR" 6 | grep -i reload | grep distance_threshold >/dev/null \
  || fail "the reload line does not name the changed key distance_threshold: $(daemon_lines "$CURSOR" 7 | grep -i reload)"
[ -z "$(daemon_lines "$CURSOR" 4)" ] || fail "warnings after a valid reload: $(daemon_lines "$CURSOR" 4)"
[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$PID" ] || fail "not running the same process after reload"
ok "valid reload applied: $(daemon_lines "$CURSOR" 6 | grep -i reload | head -1)"

CURSOR_BAD=$(cursor)
T_BAD=$(date +%s.%N)
C sh -c 'sed -i "s/^distance_threshold = .*/distance_threshold = banana/" /etc/zeek-anomalyd/zeek-anomalyd.ini'
C systemctl reload "$UNIT" || fail "systemctl reload (invalid INI) failed"
refusal_logged() { [ -n "$(daemon_lines "$CURSOR_BAD" 4)" ]; }
wait_for 10 refusal_logged || fail "no warning/error in the journal after reloading an invalid INI"
sleep 1
[ "$(prop ActiveState)/$(prop SubState)" = active/running ] && [ "$(prop MainPID)" = "$PID" ] \
  || fail "an invalid INI on reload stopped the service"
ok "invalid reload refused, still running: $(daemon_lines "$CURSOR_BAD" 4 | head -1)"
write_ini 4
T_GOOD=$(date +%s.%N)
{ normal_rows 5000 20; anomaly_row CAfterReload; } | append_as_zeek
wait_for 20 has_uid CAfterReload || fail "no anomaly written after the refused reload"
ok "still detecting after the refused reload"

# ------------------------------------------------------------------------------- stop
T=$(date +%s.%N)
C timeout 30 systemctl stop "$UNIT" || fail "systemctl stop failed"
STOP_TIME=$(elapsed "$T")
[ "$(prop Result)" = success ] || fail "stop result $(prop Result)"
[ "$(prop ExecMainCode)/$(prop ExecMainStatus)" = 1/0 ] \
  || fail "main process did not exit 0 (ExecMainCode/Status $(prop ExecMainCode)/$(prop ExecMainStatus))"
awk -v t="${STOP_TIME%s}" 'BEGIN { exit !(t < 5.5) }' || fail "stop took $STOP_TIME (limit 5 s)"
ok "clean stop in $STOP_TIME: exit 0, Result=success"

# ------------------------------------------------------------------------------- journal
# Errors are allowed only while the invalid INI was in place (the refusal itself).
ERR_OUTSIDE=$(journal_lines "$CURSOR_START" "$UNIT_MATCH && e.PRIORITY <= 3" \
  | awk -v bad="$T_BAD" -v good="$T_GOOD" '{ t = $1 / 1e6 } t < bad || t >= good')
[ -z "$ERR_OUTSIDE" ] || fail "errors in the journal: $ERR_OUTSIDE"
BAD_SIGNS=$(journal_lines "$CURSOR_START" "$UNIT_MATCH" \
  | grep -Ei 'watchdog timeout|code=killed|status=31|SIGSYS|Failed with result|core dump|Start request repeated' || true)
[ -z "$BAD_SIGNS" ] || fail "journal shows trouble: $BAD_SIGNS"
journal_lines "$CURSOR_START" "$UNIT_MATCH" | cut -d' ' -f2- | head -60 | sed 's/^/# journal: /'
ok "journal free of errors ($(journal_lines "$CURSOR_START" "$UNIT_MATCH" | wc -l) lines of the unit checked)"

# ------------------------------------------------------------------------------- uninstall
C sh /mnt/ci/install.sh --uninstall > "$WORK/uninstall.log" 2>&1 || { cat "$WORK/uninstall.log"; fail "uninstall failed"; }
C test ! -e /opt/zeek-anomalyd || fail "uninstall left /opt/zeek-anomalyd"
C test ! -e /usr/local/lib/systemd/system/zeek-anomalyd.service || fail "uninstall left the unit file"
C test -f /etc/zeek-anomalyd/zeek-anomalyd.ini || fail "uninstall removed the INI"
C test -d /var/lib/zeek-anomalyd || fail "uninstall removed the state directory"
C test -s "$ANOMALIES" || fail "uninstall removed anomalies.log"
ok "uninstall removed program and unit, kept config, state and logs"
C sh /mnt/ci/install.sh --uninstall --purge > "$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "purge failed"; }
for path in /etc/zeek-anomalyd /var/lib/zeek-anomalyd /var/log/zeek-anomalyd; do
  C test ! -e "$path" || fail "purge left $path"
done
! C getent passwd zeek-anomalyd >/dev/null || fail "purge left the zeek-anomalyd user"
ok "uninstall --purge removed config, state, logs and the user"

halt_container
echo "[time] total: $(elapsed "$T0")"
echo "systemd: $CHECKS passed, 0 failed"
