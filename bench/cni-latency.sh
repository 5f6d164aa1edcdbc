#!/usr/bin/env bash
# CNI plugin latency: what a pod's network costs at start-up and tear-down when the runtime calls
# podswitch. Starts `./podswitch agent` (one node) on a temp state dir and socket, installs the
# plugin into temp dirs (`./podswitch cni install`), then:
#   - ADD/DEL: N pairs (default 100) of `cnitool add` / `cnitool del` on one psw-named namespace,
#     timed around each cnitool process (cnitool's own start-up, the plugin's JVM, the agent's work:
#     TAP in the namespace, IPAM lease, ip -batch, result cache file);
#   - plugin start-up: N runs of the installed plugin exec'd directly for VERSION, which the
#     plugin answers without the agent — the pure cost of starting it (with its AOT cache, as
#     installed, and once more without the cache for comparison);
#   - agent side: the time the agent logs for each ADD and DEL it served ("... -> ok (N µs)");
#   - the anchor: the reference `bridge` + `host-local` plugins (Debian's containernetworking-plugins,
#     /usr/lib/cni; --ref-plugins DIR) driven by the same cnitool on a namespace of their own, one
#     reference pair after each podswitch pair, so the ratio compares pairs timed side by side.
#     Their bridge gets no gateway and no masquerading (no iptables rules) and is removed on exit.
# W warm-up pairs (default 5) run first and are not counted; the very first ADD (cold agent) is
# printed on its own. Statistics are nearest-rank: median = value ⌈n/2⌉, p99 = value ⌈0.99 n⌉.
#
# Usage: bench/cni-latency.sh [--pairs N] [--warmup W] [--ref-plugins DIR|--no-ref] [--lock FILE|--no-lock]
#                             [--keep DIR]
# Root only (cnitool and the agent make namespaces and TAP devices). Needs cnitool
# (/usr/local/bin/cnitool or on PATH; `.ci/build-cnitool.sh` builds it). Everything it makes is
# named psw + a random suffix and removed on exit (trap), also on failure or Ctrl-C. The
# measurement holds an exclusive flock on /tmp/podswitch-bench.lock (as bench/e2e.sh does), so the
# benchmarks that take the same lock do not overlap.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pairs=100; warmup=5; lock=/tmp/podswitch-bench.lock; keep=""; ref_plugins=/usr/lib/cni
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --lock) lock="$2"; shift 2 ;;
    --no-lock) lock=""; shift ;;
    --keep) keep="$2"; shift 2 ;;
    --ref-plugins) ref_plugins="$2"; shift 2 ;;
    --no-ref) ref_plugins=""; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cni-latency.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "[cni-latency] $*" >&2; }
die() { echo "[cni-latency] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, TAP devices, /var/lib/cni)"
cnitool=/usr/local/bin/cnitool
[ -x "$cnitool" ] || cnitool="$(command -v cnitool || true)"
[ -n "$cnitool" ] || die "cnitool not found (/usr/local/bin/cnitool or PATH); build it with .ci/build-cnitool.sh"
for tool in ip awk sort flock; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
# EPOCHREALTIME (bash 5) times a child without forking a `date` around it.
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"

suffix="$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
namespace="psw${suffix}"
network="psw${suffix}-bench"
ref_namespace="psw${suffix}r"; ref_network="psw${suffix}-ref"; ref_bridge="psw${suffix}b"
work="$(mktemp -d "/tmp/psw-cni-bench.XXXXXX")"
agent_pid=""
if [ -n "$ref_plugins" ] && { [ ! -x "$ref_plugins/bridge" ] || [ ! -x "$ref_plugins/host-local" ]; }; then
  log "no reference plugins in $ref_plugins (apt-get install -y containernetworking-plugins): measuring podswitch alone"
  ref_plugins=""
fi

cleanup() {
  local rc=$?
  set +e
  if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
    # DEL first, while the agent runs, so the namespace's TAP and the lease go the normal way.
    CNI_PATH="$work/bin" NETCONFPATH="$work/net.d" "$cnitool" del "$network" "/var/run/netns/$namespace" >/dev/null 2>&1
    kill -TERM "$agent_pid" 2>/dev/null
    wait "$agent_pid" 2>/dev/null
  fi
  ip netns delete "$namespace" 2>/dev/null
  if [ -n "$ref_plugins" ]; then
    CNI_PATH="$ref_plugins" NETCONFPATH="$work/net-ref.d" "$cnitool" del "$ref_network" "/var/run/netns/$ref_namespace" >/dev/null 2>&1
    ip netns delete "$ref_namespace" 2>/dev/null
    ip link delete "$ref_bridge" 2>/dev/null
    rm -f /var/lib/cni/results/"$ref_network"-*
  fi
  rm -f /var/lib/cni/results/"$network"-*
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/ && log "kept the raw timings and agent log in $keep"; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

micros() { local t="$1"; echo "${t/./}"; }   # EPOCHREALTIME "s.µs" → µs

log "$("$home/podswitch" version 2>/dev/null | paste -sd ';' -)"   # builds on first use, before timing
log "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"

log "starting the agent (state $work/state, socket $work/cni.sock)"
"$home/podswitch" agent --state-dir "$work/state" --socket "$work/cni.sock" --conf-dir "$work/net.d" \
  2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 1 600); do
  grep -q "serving the CNI plugin" "$work/agent.log" 2>/dev/null && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; die "the agent exited"; }
  sleep 0.1
done
grep -q "serving the CNI plugin" "$work/agent.log" || { cat "$work/agent.log" >&2; die "the agent did not start in 60 s"; }

log "installing the plugin into $work/bin and $work/net.d (network $network)"
"$home/podswitch" cni install --bin-dir "$work/bin" --conf-dir "$work/net.d" --socket "$work/cni.sock" \
  --name "$network" >"$work/install.txt"
grep -q "with an AOT cache" "$work/install.txt" || log "note: installed without an AOT cache: $(head -1 "$work/install.txt")"
plugin="$work/bin/podswitch"
# The same JVM command without the AOT cache: what the cache saves.
sed 's/ -XX:AOTCache=[^ ]*//' "$plugin" >"$work/plugin-no-aot"
chmod +x "$work/plugin-no-aot"

ip netns add "$namespace"
export CNI_PATH="$work/bin" NETCONFPATH="$work/net.d"
: >"$work/add.us"; : >"$work/del.us"; : >"$work/version.us"; : >"$work/version-no-aot.us"
: >"$work/ref-add.us"; : >"$work/ref-del.us"
if [ -n "$ref_plugins" ]; then
  ip netns add "$ref_namespace"
  mkdir -p "$work/net-ref.d"
  cat >"$work/net-ref.d/10-ref.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$ref_network", "plugins": [{"type": "bridge", "bridge": "$ref_bridge",
  "isGateway": false, "ipMasq": false,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/24"}]], "dataDir": "$work/ref-ipam"}}]}
JSON
fi

one_pair() {   # $1: file to append the ADD µs to, $2: the DEL µs
  local t0 t1 t2
  t0=$EPOCHREALTIME
  "$cnitool" add "$network" "/var/run/netns/$namespace" >/dev/null
  t1=$EPOCHREALTIME
  "$cnitool" del "$network" "/var/run/netns/$namespace"
  t2=$EPOCHREALTIME
  echo $(( $(micros "$t1") - $(micros "$t0") )) >>"$1"
  echo $(( $(micros "$t2") - $(micros "$t1") )) >>"$2"
}

ref_pair() {   # the reference plugins, the same way: $1 ADD µs file, $2 DEL µs file
  [ -n "$ref_plugins" ] || return 0
  local t0 t1 t2
  t0=$EPOCHREALTIME
  CNI_PATH="$ref_plugins" NETCONFPATH="$work/net-ref.d" "$cnitool" add "$ref_network" "/var/run/netns/$ref_namespace" >/dev/null
  t1=$EPOCHREALTIME
  CNI_PATH="$ref_plugins" NETCONFPATH="$work/net-ref.d" "$cnitool" del "$ref_network" "/var/run/netns/$ref_namespace"
  t2=$EPOCHREALTIME
  echo $(( $(micros "$t1") - $(micros "$t0") )) >>"$1"
  echo $(( $(micros "$t2") - $(micros "$t1") )) >>"$2"
}

if [ -n "$lock" ]; then exec 9>"$lock"; log "waiting for $lock"; flock 9; fi
log "warm-up: $warmup ADD/DEL pairs (not counted)"
for _ in $(seq 1 "$warmup"); do one_pair "$work/warm-add.us" "$work/warm-del.us"; ref_pair "$work/warm-ref-add.us" "$work/warm-ref-del.us"; done
log "measuring: $pairs ADD/DEL pairs through cnitool${ref_plugins:+, each followed by one of the reference bridge + host-local plugins}"
for _ in $(seq 1 "$pairs"); do one_pair "$work/add.us" "$work/del.us"; ref_pair "$work/ref-add.us" "$work/ref-del.us"; done
log "measuring: $pairs plugin starts (VERSION, exec'd directly), with and without the AOT cache"
for _ in $(seq 1 "$pairs"); do
  t0=$EPOCHREALTIME
  echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$plugin" >/dev/null
  t1=$EPOCHREALTIME
  echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$work/plugin-no-aot" >/dev/null
  t2=$EPOCHREALTIME
  echo $(( $(micros "$t1") - $(micros "$t0") )) >>"$work/version.us"
  echo $(( $(micros "$t2") - $(micros "$t1") )) >>"$work/version-no-aot.us"
done
if [ -n "$lock" ]; then flock -u 9; exec 9>&-; fi

# Agent side: the µs the agent logged for each request; the last $pairs of each are the measured ones.
grep -o 'ADD cnitool-[^ ]* eth0 -> ok ([0-9]* µs)' "$work/agent.log" | sed 's/.*(\([0-9]*\) µs)/\1/' \
  | tail -n "$pairs" >"$work/agent-add.us"
grep -o 'DEL cnitool-[^ ]* eth0 -> ok ([0-9]* µs)' "$work/agent.log" | sed 's/.*(\([0-9]*\) µs)/\1/' \
  | tail -n "$pairs" >"$work/agent-del.us"
# grep -m1, not `| head -1`: head closing the pipe early would kill grep with SIGPIPE under pipefail.
first_add_agent="$(grep -m1 -o 'ADD cnitool-[^ ]* eth0 -> ok ([0-9]* µs)' "$work/agent.log" | sed 's/.*(\([0-9]*\) µs)/\1/')"

stats() {   # $1: label, $2: file of µs values → one table row in ms
  sort -n "$2" | awk -v label="$1" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { printf "| %s | – | – | – | – | 0 |\n", label; exit }
      m = int((NR + 1) / 2); p = int(NR * 0.99); if (p < NR * 0.99) p++
      printf "| %s | %.1f | %.1f | %.1f | %.1f | %d |\n", label, v[m] / 1000, v[p] / 1000, v[1] / 1000, v[NR] / 1000, NR
    }'
}

echo
echo "CNI plugin latency, $pairs pairs after $warmup warm-up pairs; ms; $(nproc) cores; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | median | p99 | min | max | n |"
echo "|---|---:|---:|---:|---:|---:|"
stats "cnitool add (whole ADD as a runtime sees it)" "$work/add.us"
stats "cnitool del" "$work/del.us"
stats "plugin start-up: VERSION exec'd directly (AOT cache, as installed)" "$work/version.us"
stats "plugin start-up without the AOT cache" "$work/version-no-aot.us"
stats "agent side of ADD (logged)" "$work/agent-add.us"
stats "agent side of DEL (logged)" "$work/agent-del.us"
if [ -n "$ref_plugins" ]; then
  stats "reference bridge + host-local: cnitool add" "$work/ref-add.us"
  stats "reference bridge + host-local: cnitool del" "$work/ref-del.us"
  median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
  awk -v a="$(median "$work/add.us")" -v ra="$(median "$work/ref-add.us")" -v d="$(median "$work/del.us")" \
    -v rd="$(median "$work/ref-del.us")" 'BEGIN { if (ra > 0 && rd > 0)
      printf "\npodswitch / reference, medians of pairs timed side by side: ADD %.1f×, DEL %.1f× (target: ADD <= 2×)\n", a / ra, d / rd }'
fi
echo
echo "first ADD of the run (cold agent): $(awk '{printf "%.1f", $1 / 1000; exit}' "$work/warm-add.us" 2>/dev/null || echo "?") ms through cnitool, $(awk -v us="${first_add_agent:-0}" 'BEGIN {printf "%.1f", us / 1000}') ms in the agent"
