#!/usr/bin/env bash
# End-to-end benchmark: pod to pod through podswitch (live pods: network namespaces behind TAP
# ports owned by the switch), beside the anchors that say what is possible here, in one
# interleaved run (A B C …, A B C …) so every ratio compares figures taken side by side:
#   ps-1node      podswitch, two pods on one node               (`./podswitch up`, generated scenario)
#   br-1node      Linux bridge + veth pairs (as the CNI bridge plugin builds them): the kernel's figure
#   c-1node       bench/tapfwd/tapfwd.c: poll + read + write between two TAPs, virtio-net headers and
#                 offloads on — the plain-syscall limit of any userspace TAP switch
#   ovs-1node     Open vSwitch, datapath_type=netdev, internal (TAP) ports moved into the pods
#   ovstso-1node  the same with other_config:userspace-tso-enable=true (ovs-vswitchd restarted for it)
#   ps-2node      podswitch, one pod on each of two nodes (VXLAN over loopback UDP)
#   vx-2node      two node namespaces, each a bridge + kernel vxlan device, joined by a veth underlay
# Per case and round: iperf3 TCP, one stream (-t T); UDP throughput at <= 0.1 % loss for 64 B and
# 1,400 B payloads (RFC 2544 style: bisection on iperf3 -u -b RATE, from the rate iperf3 reaches flat
# out), and the flat-out figure with its loss; ping p50/p99/max over N pings at 10 ms intervals, idle
# and under a 1 Gbit/s TCP stream through the same switch; TCP request/response rate (sockperf
# ping-pong --tcp); the switch process's CPU over the TCP run.
#
# Usage: bench/e2e.sh [--rounds N] [--time S] [--cases a,b,…] [--pings N] [--search-steps N]
#                     [--search-time S] [--no-ovs] [--no-two-nodes] [--lock FILE|--no-lock]
#                     [--keep DIR] [--ps-idle blocking|yield|busy-spin]
# Defaults: 2 rounds, 5 s, every case whose tools are installed, 200 pings, 7 bisection steps of 2 s.
# Needs root, iperf3, sockperf, jq, cc; OVS cases need openvswitch-switch (started with ovs-ctl if
# not running, and stopped at the end). Every namespace, link and bridge is named psw + a random
# suffix and removed on exit (also on failure or Ctrl-C). While a case is measured the script holds
# an exclusive flock on /tmp/podswitch-bench.lock (--lock), so benchmarks that take it do not overlap.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2; secs=5; want_ovs=1; want_two=1; lock=/tmp/podswitch-bench.lock; keep=""; ps_idle=blocking
pings=200; search_steps=7; search_secs=2; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --time) secs="$2"; shift 2 ;;
    --cases) only="$2"; shift 2 ;;
    --pings) pings="$2"; shift 2 ;;
    --search-steps) search_steps="$2"; shift 2 ;;
    --search-time) search_secs="$2"; shift 2 ;;
    --no-ovs) want_ovs=0; shift ;;
    --no-two-nodes) want_two=0; shift ;;
    --lock) lock="$2"; shift 2 ;;
    --no-lock) lock=""; shift ;;
    --keep) keep="$2"; shift 2 ;;
    --ps-idle) ps_idle="$2"; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "e2e.sh: needs root (namespaces, TAPs, bridges)" >&2; exit 2; }
for tool in ip iperf3 sockperf ping jq awk flock cc; do
  command -v "$tool" >/dev/null || { echo "e2e.sh: needs $tool (apt-get install -y iperf3 sockperf jq iproute2 iputils-ping gcc)" >&2; exit 2; }
done

rid="$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"   # 6 hex digits: psw<rid><role> <= 15 chars
work="$(mktemp -d -t psw-e2e.XXXXXX)"
results="$work/results.tsv"
: >"$results"
ps_pid=""; c_pid=""; srv_pids=(); started_ovs=0; ovs_bridge=""; ovs_tso_before=""
own_ns=(); own_links=()

log() { echo "[e2e $(date +%H:%M:%S)] $*" >&2; }

# ---------- cleanup (trap EXIT) ----------
stop_pid() { # $1 pid: TERM, up to 30 s, then KILL
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill -KILL "$1" 2>/dev/null || true; fi
  wait "$1" 2>/dev/null || true
}
teardown_case() {
  local p l n
  for p in "${srv_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  srv_pids=()
  if [ -n "$c_pid" ]; then stop_pid "$c_pid"; c_pid=""; fi
  if [ -n "$ps_pid" ]; then
    stop_pid "$ps_pid"; ps_pid=""
    # whatever the lab's own teardown left (state files in our own state dir only: never --all)
    "$home/podswitch" down --state-dir "$work/state" >/dev/null 2>&1 || true
  fi
  if [ -n "$ovs_bridge" ]; then ovs-vsctl --if-exists del-br "$ovs_bridge" 2>/dev/null || true; ovs_bridge=""; fi
  for l in "${own_links[@]}"; do ip link del "$l" 2>/dev/null || true; done
  for n in "${own_ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  own_ns=(); own_links=()
}
cleanup() {
  local rc=$?
  exec 9>&-
  teardown_case
  if [ -n "$ovs_tso_before" ] && [ "$started_ovs" = 0 ]; then   # leave a running OVS as we found it
    ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable="$ovs_tso_before" 2>/dev/null || true
    /usr/share/openvswitch/scripts/ovs-ctl restart --system-id=random >/dev/null 2>&1 || true
  fi
  if [ "$started_ovs" = 1 ]; then /usr/share/openvswitch/scripts/ovs-ctl stop >/dev/null 2>&1 || true; fi
  if [ -n "$keep" ]; then mkdir -p "$keep"; cp -r "$work"/. "$keep"/; fi
  rm -rf "$work"
  local left; left="$(ip netns list | awk '{print $1}' | grep "^psw$rid" || true)"
  [ -z "$left" ] || echo "e2e.sh: WARNING: namespaces left: $left" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=e2e/cases.sh
. "$home/bench/e2e/cases.sh"
# shellcheck source=e2e/measure.sh
. "$home/bench/e2e/measure.sh"
# shellcheck source=e2e/report.sh
. "$home/bench/e2e/report.sh"

# ---------- which cases ----------
tapfwd="$work/tapfwd"
cc -O2 -Wall -o "$tapfwd" "$home/bench/tapfwd/tapfwd.c"
cases=(ps-1node br-1node c-1node)
if [ "$want_ovs" = 1 ]; then
  if ! command -v ovs-vsctl >/dev/null; then
    log "skipping the OVS cases: ovs-vsctl not found (apt-get install -y openvswitch-switch)"
  else
    if ! ovs-vsctl --timeout=3 show >/dev/null 2>&1 && [ -x /usr/share/openvswitch/scripts/ovs-ctl ]; then
      log "starting Open vSwitch (ovs-ctl start); it is stopped at the end"
      /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random >"$work/ovs-ctl.log" 2>&1 || true
      started_ovs=1
    fi
    if ovs-vsctl --timeout=5 show >/dev/null 2>&1 && [ -f /var/run/openvswitch/ovs-vswitchd.pid ]; then
      ovs_tso_before="$(ovs-vsctl --if-exists get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null | tr -d '"')"
      ovs_tso_before="${ovs_tso_before:-false}"
      cases+=(ovs-1node ovstso-1node)
    else
      log "skipping the OVS cases: ovsdb-server/ovs-vswitchd not running and could not be started ($work/ovs-ctl.log)"
    fi
  fi
fi
if [ "$want_two" = 1 ]; then cases+=(ps-2node vx-2node); fi
if [ -n "$only" ]; then
  wanted=()
  for c in "${cases[@]}"; do case ",$only," in *",$c,"*) wanted+=("$c") ;; esac; done
  cases=("${wanted[@]}")
  [ "${#cases[@]}" -gt 0 ] || { echo "e2e.sh: --cases $only names no available case" >&2; exit 2; }
fi

log "podswitch: $("$home/podswitch" version 2>/dev/null | tail -1)"   # builds on first use, outside the lock
log "CPU: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(nproc) cores"
log "cases: ${cases[*]}; rounds: $rounds; ${secs} s runs, $pings pings, UDP search $search_steps × ${search_secs} s; run id psw$rid"
total=$((rounds * ${#cases[@]})); done_count=0; started_at=$(date +%s)
for r in $(seq 1 "$rounds"); do
  for c in "${cases[@]}"; do
    if [ "$done_count" -gt 0 ]; then
      log "[$((done_count + 1))/$total] $c, round $r (about $((($(date +%s) - started_at) * (total - done_count) / done_count)) s left)"
    else
      log "[1/$total] $c, round $r"
    fi
    setup_case "$c"
    measure "$c" "$r"
    teardown_case
    done_count=$((done_count + 1))
  done
done

echo
echo "Machine: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
print_tables
echo
echo "Raw rows (case round tcp_gbps cpu_tcp_pct udp64_full_kpps udp64_full_loss_pct udp64_kpps udp1400_kpps ping_p50_us ping_p99_us ping_max_us loaded_p50_us loaded_p99_us loaded_max_us rr_per_s):"
sed 's/^/    /' "$results"
