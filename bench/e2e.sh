#!/usr/bin/env bash
# End-to-end benchmark: pod to pod through podswitch (live pods: network namespaces behind TAP
# ports owned by the switch), against the same pair through a Linux bridge with veth pairs (as the
# CNI bridge plugin builds it), Open vSwitch's userspace datapath (datapath_type=netdev) where
# installed, and, across two nodes, against two bridges joined by kernel vxlan devices.
#
# Cases, run interleaved round by round (A B C D E, A B C D E, ...):
#   A ps-1node   podswitch, two pods on one node          (`./podswitch up`, generated scenario)
#   B br-1node   Linux bridge + veth pairs, in its own "node" namespace
#   C ovs-1node  OVS bridge datapath_type=netdev, internal (TAP) ports moved into the pods
#   D ps-2node   podswitch, one pod on each of two nodes (VXLAN over loopback UDP)
#   E vx-2node   two node namespaces, each a bridge + kernel vxlan device, joined by a veth underlay
# Per case and round: iperf3 TCP single stream (-t T), iperf3 UDP 64-byte payloads (-u -l 64 -b 0
# -t T; packets/s received and loss), ping -c 20 -i 0.05 (median RTT), and the CPU of the switch
# process (podswitch's JVM, ovs-vswitchd) from /proc/PID/stat utime+stime over each iperf3 run.
# A 2 s TCP warm-up precedes each case's measurement and is not counted.
#
# Usage: bench/e2e.sh [--rounds N] [--time S] [--no-ovs] [--no-two-nodes] [--lock FILE|--no-lock]
#                     [--keep DIR] [--ps-idle blocking|yield|busy-spin]
# Root only. Every namespace, link and bridge is named psw + a random suffix and removed on exit
# (also on failure or Ctrl-C). While a case is measured the script holds an exclusive flock on
# /tmp/podswitch-bench.lock (--lock), so other benchmarks/tests that take the same lock do not
# overlap. If OVS is not running and ovs-ctl exists it is started, and stopped at the end.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=3; secs=5; want_ovs=1; want_two=1; lock=/tmp/podswitch-bench.lock; keep=""; ps_idle=blocking
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --time) secs="$2"; shift 2 ;;
    --no-ovs) want_ovs=0; shift ;;
    --no-two-nodes) want_two=0; shift ;;
    --lock) lock="$2"; shift 2 ;;
    --no-lock) lock=""; shift ;;
    --keep) keep="$2"; shift 2 ;;
    --ps-idle) ps_idle="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "e2e.sh: needs root (namespaces, TAPs, bridges)" >&2; exit 2; }
for tool in ip iperf3 ping jq awk flock; do
  command -v "$tool" >/dev/null || { echo "e2e.sh: needs $tool (apt-get install -y iperf3 jq iproute2 iputils-ping)" >&2; exit 2; }
done

rid="$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"   # 6 hex digits: psw<rid><role> <= 15 chars
work="$(mktemp -d -t psw-e2e.XXXXXX)"
results="$work/results.tsv"    # case round tcp_gbps udp_pps udp_loss_pct ping_ms cpu_tcp_pct cpu_udp_pct
: >"$results"
ps_pid=""; srv_pid=""; started_ovs=0; ovs_bridge=""
own_ns=(); own_links=()

log() { echo "[e2e $(date +%H:%M:%S)] $*" >&2; }

# ---------- cleanup (trap EXIT) ----------
teardown_case() {
  if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; srv_pid=""; fi
  if [ -n "$ps_pid" ]; then
    kill -TERM "$ps_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$ps_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$ps_pid" 2>/dev/null; then kill -KILL "$ps_pid" 2>/dev/null || true; fi
    wait "$ps_pid" 2>/dev/null || true
    ps_pid=""
    # whatever the lab's own teardown left (state files in our own state dir only: never --all)
    "$home/podswitch" down --state-dir "$work/state" >/dev/null 2>&1 || true
  fi
  if [ -n "$ovs_bridge" ]; then ovs-vsctl --if-exists del-br "$ovs_bridge" 2>/dev/null || true; ovs_bridge=""; fi
  local l n
  for l in "${own_links[@]}"; do ip link del "$l" 2>/dev/null || true; done
  for n in "${own_ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  own_ns=(); own_links=()
}
cleanup() {
  local rc=$?
  exec 9>&-
  teardown_case
  if [ "$started_ovs" = 1 ]; then /usr/share/openvswitch/scripts/ovs-ctl stop >/dev/null 2>&1 || true; fi
  if [ -n "$keep" ]; then mkdir -p "$keep"; cp -r "$work"/. "$keep"/; fi
  rm -rf "$work"
  local left; left="$(ip netns list | awk '{print $1}' | grep "^psw$rid" || true)"
  [ -z "$left" ] || echo "e2e.sh: WARNING: namespaces left: $left" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

newns() { ip netns add "$1"; own_ns+=("$1"); ip -n "$1" link set lo up; }

# ---------- case setup: each sets SRC DST DIP SWPID ----------
ps_scenario() { # $1 file, $2 one|two
  if [ "$2" = one ]; then
    cat >"$1" <<'EOF'
name: e2e bench, two pods on one node
namespaces:
  default: {}
pods:
  - {name: src, namespace: default, labels: {app: src}}
  - {name: dst, namespace: default, labels: {app: dst}}
EOF
  else
    cat >"$1" <<'EOF'
name: e2e bench, one pod on each of two nodes
cluster:
  nodes: [node-1, node-2]
namespaces:
  default: {}
pods:
  - {name: src, namespace: default, node: node-1, labels: {app: src}}
  - {name: dst, namespace: default, node: node-2, labels: {app: dst}}
EOF
  fi
}
setup_ps() { # $1 one|two
  local file="$work/ps-$1.yaml" out="$work/ps-$1.out"
  ps_scenario "$file" "$1"; mkdir -p "$work/state"
  "$home/podswitch" up "$file" --idle "$ps_idle" --state-dir "$work/state" >"$out" 2>&1 &
  ps_pid=$!
  for _ in $(seq 1 3000); do   # up to 300 s: the first call may build the project
    grep -q ' is up ' "$out" && grep -q 'State file' "$out" && break
    kill -0 "$ps_pid" 2>/dev/null || { cat "$out" >&2; echo "e2e.sh: podswitch up exited" >&2; exit 1; }
    sleep 0.1
  done
  grep -q 'State file' "$out" || { cat "$out" >&2; echo "e2e.sh: podswitch up did not come up" >&2; exit 1; }
  SRC="$(grep '^ *default/src ' "$out" | grep -o 'psw[0-9a-f]*' | head -1)"
  DST="$(grep '^ *default/dst ' "$out" | grep -o 'psw[0-9a-f]*' | head -1)"
  DIP="$(awk '$1=="default/dst"{print $3; exit}' "$out")"
  [ -n "$SRC" ] && [ -n "$DST" ] && [ -n "$DIP" ] || { cat "$out" >&2; echo "e2e.sh: cannot parse podswitch up output" >&2; exit 1; }
  SWPID="$ps_pid"
}
setup_br() {
  local node="psw${rid}n" a="psw${rid}a" b="psw${rid}b" br="psw${rid}br"
  newns "$node"; newns "$a"; newns "$b"
  ip -n "$node" link add "$br" type bridge; ip -n "$node" link set "$br" up
  local pod i=0
  for pod in "$a" "$b"; do
    i=$((i + 1))
    ip -n "$node" link add "psw${rid}h$i" type veth peer name "psw${rid}e$i" netns "$pod"
    ip -n "$node" link set "psw${rid}h$i" master "$br" up
    ip -n "$pod" addr add "10.97.0.$((i + 1))/24" dev "psw${rid}e$i"; ip -n "$pod" link set "psw${rid}e$i" up
  done
  SRC="$a"; DST="$b"; DIP=10.97.0.3; SWPID=""
}
setup_ovs() {
  local a="psw${rid}c" b="psw${rid}d"
  ovs_bridge="psw${rid}o"
  newns "$a"; newns "$b"
  ovs-vsctl add-br "$ovs_bridge" -- set bridge "$ovs_bridge" datapath_type=netdev
  ip link set "$ovs_bridge" up
  local pod i=0
  for pod in "$a" "$b"; do
    i=$((i + 1))
    ovs-vsctl add-port "$ovs_bridge" "${ovs_bridge}$i" -- set interface "${ovs_bridge}$i" type=internal
    ip link set "${ovs_bridge}$i" netns "$pod"
    ip -n "$pod" addr add "10.98.0.$((i + 1))/24" dev "${ovs_bridge}$i"; ip -n "$pod" link set "${ovs_bridge}$i" up
  done
  SRC="$a"; DST="$b"; DIP=10.98.0.3; SWPID="$(cat /var/run/openvswitch/ovs-vswitchd.pid)"
}
setup_vx() {
  local i pod node peer
  for i in 1 2; do newns "psw${rid}x$i"; newns "psw${rid}p$i"; done
  ip -n "psw${rid}x1" link add "psw${rid}u1" type veth peer name "psw${rid}u2" netns "psw${rid}x2"
  for i in 1 2; do
    node="psw${rid}x$i"; pod="psw${rid}p$i"; peer=$((3 - i))
    ip -n "$node" addr add "192.168.97.$i/24" dev "psw${rid}u$i"; ip -n "$node" link set "psw${rid}u$i" up
    ip -n "$node" link add "psw${rid}k$i" type bridge; ip -n "$node" link set "psw${rid}k$i" up
    ip -n "$node" link add "psw${rid}v$i" type vxlan id 97 local "192.168.97.$i" remote "192.168.97.$peer" dstport 4789
    ip -n "$node" link set "psw${rid}v$i" master "psw${rid}k$i" up
    ip -n "$node" link add "psw${rid}h$i" type veth peer name "psw${rid}e$i" netns "$pod"
    ip -n "$node" link set "psw${rid}h$i" master "psw${rid}k$i" up
    ip -n "$pod" link set "psw${rid}e$i" mtu 1450
    ip -n "$pod" addr add "10.96.0.$((i + 1))/24" dev "psw${rid}e$i"; ip -n "$pod" link set "psw${rid}e$i" up
  done
  SRC="psw${rid}p1"; DST="psw${rid}p2"; DIP=10.96.0.3; SWPID=""
}

# ---------- measurement ----------
cpu_ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
now_ns() { date +%s%N; }
hz="$(getconf CLK_TCK)"
cpu_pct() { # ticks0 ticks1 ns0 ns1 -> % of one core
  awk -v t0="$1" -v t1="$2" -v n0="$3" -v n1="$4" -v hz="$hz" 'BEGIN{printf "%.0f", (t1 - t0) / hz / ((n1 - n0) / 1e9) * 100}'
}
measure() { # $1 case, $2 round; SRC DST DIP SWPID set
  local c="$1" r="$2" j="$work/$1.$2"
  ip netns exec "$DST" iperf3 -s -p 5201 >/dev/null 2>&1 9>&- &
  srv_pid=$!
  for _ in $(seq 1 50); do ip netns exec "$DST" ss -ltn 2>/dev/null | grep -q ':5201 ' && break; sleep 0.1; done
  if [ -n "$lock" ]; then exec 9>"$lock"; flock 9; fi
  ip netns exec "$SRC" timeout 30 iperf3 -c "$DIP" -t 2 >/dev/null 2>&1 9>&- || true   # warm-up (ARP, JIT)
  local t0 t1 n0 n1 tcp udp loss pingms ctcp cudp
  t0="$(cpu_ticks "$SWPID")"; n0="$(now_ns)"
  ip netns exec "$SRC" timeout $((secs + 30)) iperf3 -c "$DIP" -t "$secs" -J >"$j.tcp.json" 9>&- || true
  t1="$(cpu_ticks "$SWPID")"; n1="$(now_ns)"; ctcp="$(cpu_pct "$t0" "$t1" "$n0" "$n1")"
  t0="$(cpu_ticks "$SWPID")"; n0="$(now_ns)"
  ip netns exec "$SRC" timeout $((secs + 30)) iperf3 -c "$DIP" -u -l 64 -b 0 -t "$secs" -J >"$j.udp.json" 9>&- || true
  t1="$(cpu_ticks "$SWPID")"; n1="$(now_ns)"; cudp="$(cpu_pct "$t0" "$t1" "$n0" "$n1")"
  ip netns exec "$SRC" ping -c 20 -i 0.05 -W 1 "$DIP" >"$j.ping" 2>&1 9>&- || true
  if [ -n "$lock" ]; then flock -u 9; exec 9>&-; fi
  tcp="$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' "$j.tcp.json" 2>/dev/null || echo 0)"
  udp="$(jq -r '.end.sum_received | if . == null then 0 else (.bytes / 64 / .seconds) end' "$j.udp.json" 2>/dev/null || echo 0)"
  loss="$(jq -r '.end.sum_received.lost_percent // 100' "$j.udp.json" 2>/dev/null || echo 100)"
  pingms="$(grep -o 'time=[0-9.]*' "$j.ping" | cut -d= -f2 | sort -g | awk '{v[NR]=$1} END{if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2}')"
  [ -n "$SWPID" ] || { ctcp=-; cudp=-; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$tcp" "$udp" "$loss" "$pingms" "$ctcp" "$cudp" >>"$results"
  log "$c round $r: TCP $(printf '%.2f' "$tcp") Gbit/s, UDP64 $(printf '%.0f' "$udp") pkt/s (loss $(printf '%.1f' "$loss")%), ping median ${pingms} ms, switch CPU TCP ${ctcp}% UDP ${cudp}%"
}

# ---------- which cases ----------
cases=(ps-1node br-1node)
if [ "$want_ovs" = 1 ]; then
  if ! command -v ovs-vsctl >/dev/null; then
    log "skipping ovs-1node: ovs-vsctl not found (apt-get install -y openvswitch-switch)"
  else
    if ! ovs-vsctl --timeout=3 show >/dev/null 2>&1; then
      if [ -x /usr/share/openvswitch/scripts/ovs-ctl ]; then
        log "starting Open vSwitch (ovs-ctl start); it is stopped at the end"
        /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random >"$work/ovs-ctl.log" 2>&1 || true
        started_ovs=1
      fi
    fi
    if ovs-vsctl --timeout=5 show >/dev/null 2>&1 && [ -f /var/run/openvswitch/ovs-vswitchd.pid ]; then
      cases+=(ovs-1node)
    else
      log "skipping ovs-1node: ovsdb-server/ovs-vswitchd not running and could not be started ($work/ovs-ctl.log)"
    fi
  fi
fi
if [ "$want_two" = 1 ]; then cases+=(ps-2node vx-2node); fi

log "podswitch: $("$home/podswitch" version 2>/dev/null | tail -1)"   # builds on first use, outside the lock
log "cases: ${cases[*]}; rounds: $rounds; ${secs} s per iperf3 run; run id psw$rid"
for r in $(seq 1 "$rounds"); do
  for c in "${cases[@]}"; do
    case "$c" in
      ps-1node) setup_ps one ;;
      br-1node) setup_br ;;
      ovs-1node) setup_ovs ;;
      ps-2node) setup_ps two ;;
      vx-2node) setup_vx ;;
    esac
    measure "$c" "$r"
    teardown_case
  done
done

# ---------- report ----------
summ() { # case column -> "median (min–max)" numbers: median min max
  awk -F'\t' -v c="$1" -v k="$2" '$1==c && $k!="-" && $k!="nan"{print $k}' "$results" | sort -g |
    awk '{v[NR]=$1} END{if (NR == 0) {print "nan nan nan"; exit}
      m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}'
}
fmt() { awk -v m="$1" -v lo="$2" -v hi="$3" -v s="$4" -v d="$5" 'BEGIN{
  if (m == "nan") {print "–"; exit}
  f = "%." d "f"; printf(f " (" f "–" f ")\n", m * s, lo * s, hi * s)}'; }
declare -A label=([ps-1node]="podswitch, one node" [br-1node]="Linux bridge + veth, one node"
  [ovs-1node]="OVS netdev, one node" [ps-2node]="podswitch, two nodes" [vx-2node]="kernel vxlan + bridges, two nodes")
echo
echo "### Results: median (min–max) over $rounds rounds, ${secs} s per iperf3 run"
echo
echo "| case | TCP Gbit/s | UDP 64 B kpkt/s received | UDP loss % | ping RTT µs | switch CPU % TCP | switch CPU % UDP |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for c in "${cases[@]}"; do
  # shellcheck disable=SC2046
  echo "| ${label[$c]} | $(fmt $(summ "$c" 3) 1 2) | $(fmt $(summ "$c" 4) 0.001 0) | $(fmt $(summ "$c" 5) 1 1) | $(fmt $(summ "$c" 6) 1000 0) | $(fmt $(summ "$c" 7) 1 0) | $(fmt $(summ "$c" 8) 1 0) |"
done
ratio_row() { # case base
  local tc tb uc ub pc pb
  read -r tc _ _ < <(summ "$1" 3); read -r tb _ _ < <(summ "$2" 3)
  read -r uc _ _ < <(summ "$1" 4); read -r ub _ _ < <(summ "$2" 4)
  read -r pc _ _ < <(summ "$1" 6); read -r pb _ _ < <(summ "$2" 6)
  awk -v a="${label[$1]}" -v b="${label[$2]}" -v tc="$tc" -v tb="$tb" -v uc="$uc" -v ub="$ub" -v pc="$pc" -v pb="$pb" 'BEGIN{
    printf "| %s / %s | %.2f× | %.2f× | %+.0f µs |\n", a, b, (tb > 0 ? tc / tb : 0), (ub > 0 ? uc / ub : 0), (pc - pb) * 1000}'
}
echo
echo "### Ratios to the kernel reference (medians)"
echo
echo "| case / reference | TCP | UDP 64 B pkt/s | ping added RTT |"
echo "|---|---:|---:|---:|"
ratio_row ps-1node br-1node
for c in "${cases[@]}"; do [ "$c" = ovs-1node ] && ratio_row ovs-1node br-1node; done
for c in "${cases[@]}"; do [ "$c" = ps-2node ] && ratio_row ps-2node vx-2node; done
echo
echo "Raw rows (case round tcp_gbps udp_pps udp_loss_pct ping_ms cpu_tcp_pct cpu_udp_pct):"
sed 's/^/    /' "$results"
