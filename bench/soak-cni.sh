#!/usr/bin/env bash
# CNI ADD/DEL soak: does a node agent that attaches and detaches pods for a long time give back
# everything each pod took, while other pods' traffic runs? Starts `podswitch agent` (one node,
# built classes, no launcher) on a temp state dir and sockets, installs the plugin into temp dirs
# (`podswitch cni install`), attaches two long-lived pods through cnitool and runs a steady flow
# between them — ping every --ping-interval s and a UDP echo exchange (one 5-tuple, python3) —
# then runs N ADD/DEL cycles through the real cnitool, each on a new namespace psw-soak-SUFFIX-cI
# (ip netns add, cnitool add, every --probe-every cycles a ping from the new pod to a long-lived
# one, cnitool del, ip netns del), as a runtime starts and stops pod sandboxes.
#
# Resources of the agent and the node are read at the baseline (after --warmup cycles), halfway
# and at the end: the agent's fds (/proc/PID/fd) and the TAP fds among them, its threads
# (/proc/PID/status), namespaces psw-soak-SUFFIX-*, links in the long-lived pods' namespaces,
# IPAM leases (STATE/ipam/ipam.state) and attachments (`status -o json`), and the live heap
# (jcmd GC.run, then GC.heap_info: the generations' "used"). A before/after table says PASS when
# a resource is back at its baseline (the heap within --heap-tolerance-kib) and MISS otherwise;
# missed targets are findings, the exit status is 0 unless the harness itself failed (1) or a
# cycle failed (4).
#
# Usage: bench/soak-cni.sh [--cycles N] [--warmup W] [--probe-every K] [--ping-interval S]
#          [--udp-rate PPS] [--heap-tolerance-kib K] [--lock FILE|--no-lock] [--keep DIR]
# Root only. Needs cnitool (/usr/local/bin/cnitool; .ci/build-cnitool.sh), ip, ping, python3 (for
# the UDP flow; without it only ping runs), a JDK 25 (JAVA_HOME, default Temurin 25) and a build:
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -B -q -DskipTests package -pl cli -am
# Only loopback and its own namespaces are touched; everything it makes is removed on exit
# (trap), also on failure or Ctrl-C.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cycles=1000; warmup=5; probe_every=10; ping_interval=0.02; udp_rate=200; heap_tolerance_kib=2048
lock=/tmp/podswitch-bench.lock; keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --probe-every) probe_every="$2"; shift 2 ;;
    --ping-interval) ping_interval="$2"; shift 2 ;;
    --udp-rate) udp_rate="$2"; shift 2 ;;
    --heap-tolerance-kib) heap_tolerance_kib="$2"; shift 2 ;;
    --lock) lock="$2"; shift 2 ;;
    --no-lock) lock=""; shift ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak-cni.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "[soak] $*" >&2; }
die() { echo "[soak] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, TAP devices, /var/lib/cni)"
cnitool=/usr/local/bin/cnitool
[ -x "$cnitool" ] || cnitool="$(command -v cnitool || true)"
[ -n "$cnitool" ] || die "cnitool not found (/usr/local/bin/cnitool or PATH); build it with .ci/build-cnitool.sh"
for tool in ip ping awk flock; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java="$JAVA_HOME/bin/java"; jcmd="$JAVA_HOME/bin/jcmd"
[ -x "$java" ] && [ -x "$jcmd" ] || die "no JDK at JAVA_HOME=$JAVA_HOME (java and jcmd of a JDK 25 are needed)"
[ -d "$home/cli/target/classes" ] && [ -d "$home/cli/target/lib" ] \
  || die "not built: JAVA_HOME=$JAVA_HOME ./mvnw -B -q -DskipTests package -pl cli -am"
python="$(command -v python3 || true)"

suffix="$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
prefix="psw-soak-$suffix"
network="$prefix"
work="$(mktemp -d /tmp/psw-soak.XXXXXX)"
state="$work/state"
agent_pid=""; ping_pid=""; echo_pid=""; udp_pid=""; current=""
failures=0; probes_ok=0; probes_tried=0

# The launcher's JVM flags, on the built classes (the launcher itself would `mvn install`). An
# array, not a function: started with `&`, a function would run in a subshell and $! would be
# that shell's PID, not the JVM's.
podswitch=("$java" --enable-native-access=ALL-UNNAMED -Dstdout.encoding=UTF-8 -Dstderr.encoding=UTF-8 -XX:+UseSerialGC
  -Xss1m --sun-misc-unsafe-memory-access=allow -cp "$home/cli/target/classes:$home/cli/target/lib/*" dev.podswitch.cli.Main)

cni() {   # cnitool COMMAND NAMESPACE [pod name]
  CNI_PATH="$work/bin" NETCONFPATH="$work/net.d" \
    CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=${3:-$2}" "$cnitool" "$1" "$network" "/var/run/netns/$2"
}

stop_pid() {   # $1 pid, $2 signal: a process this script started
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && { kill "-$2" "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
  return 0
}

cleanup() {
  local rc=$?
  set +e
  stop_pid "$udp_pid" TERM; stop_pid "$ping_pid" INT; stop_pid "$echo_pid" TERM
  if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
    # DEL first, while the agent runs, so TAPs and leases go the normal way.
    for ns in $current "$prefix-a" "$prefix-b"; do cni del "$ns" >/dev/null 2>&1; done
    stop_pid "$agent_pid" TERM
  fi
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-"); do ip netns delete "$ns"; done
  rm -f /var/lib/cni/results/"$network"-*
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/ && log "kept the logs and samples in $keep"; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$work/udpflow.py" <<'EOF'
# echo PORT | send IP PORT RATE: one UDP 5-tuple; the sender counts the echoes of its numbered datagrams.
import signal, socket, struct, sys, time
stop = False
def halt(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, halt); signal.signal(signal.SIGINT, halt)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[1] == "echo":
    s.bind(("0.0.0.0", int(sys.argv[2]))); s.settimeout(0.2)
    while not stop:
        try:
            data, peer = s.recvfrom(2048); s.sendto(data, peer)
        except socket.timeout:
            pass
    sys.exit(0)
peer = (sys.argv[2], int(sys.argv[3])); period = 1.0 / float(sys.argv[4])
s.setblocking(False); sent = 0; seen = set(); due = time.monotonic()
def drain():
    while True:
        try:
            seen.add(struct.unpack("!Q", s.recv(2048)[:8])[0])
        except BlockingIOError:
            return
while not stop:
    now = time.monotonic()
    if now >= due:
        s.sendto(struct.pack("!Q", sent) + b"x" * 56, peer); sent += 1; due += period
    drain(); time.sleep(min(max(due - time.monotonic(), 0), 0.005))
end = time.monotonic() + 1.0
while time.monotonic() < end:
    drain(); time.sleep(0.01)
print("sent %d echoed %d" % (sent, len(seen)), flush=True)
EOF

log "machine: $(nproc) cores, $(awk -F: '/^model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "starting the agent (state $state, sockets in $work)"
"${podswitch[@]}" agent --state-dir "$state" --socket "$work/cni.sock" --api-socket "$work/api.sock" --conf-dir "$work/net.d" \
  2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 1 900); do
  grep -q "serving the CNI plugin" "$work/agent.log" 2>/dev/null && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; die "the agent exited"; }
  sleep 0.1
done
grep -q "serving the CNI plugin" "$work/agent.log" || { cat "$work/agent.log" >&2; die "the agent did not start in 90 s"; }
log "installing the plugin into $work/bin and $work/net.d (network $network)"
"${podswitch[@]}" cni install --bin-dir "$work/bin" --conf-dir "$work/net.d" --socket "$work/cni.sock" --name "$network" \
  >"$work/install.txt"

ip_of() { ip -n "$1" -o -4 addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }
for pod in a b; do
  ip netns add "$prefix-$pod"
  cni add "$prefix-$pod" "soak-$pod" >/dev/null || die "ADD of the long-lived pod $pod failed"
done
ip_a="$(ip_of "$prefix-a")"; ip_b="$(ip_of "$prefix-b")"
log "long-lived pods: $prefix-a $ip_a, $prefix-b $ip_b"
ip netns exec "$prefix-a" ping -c 3 -W 2 "$ip_b" >/dev/null || die "the long-lived pods cannot reach each other"

# --- resources ------------------------------------------------------------------------------
heap_used_kib() {   # live heap after a full GC: the generations' "used" in GC.heap_info
  "$jcmd" "$agent_pid" GC.run >/dev/null
  "$jcmd" "$agent_pid" GC.heap_info | awk '
    /^ *(DefNew|Tenured|def new generation|tenured generation|garbage-first heap|PSYoungGen|ParOldGen) / {
      for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); sum += v } }
    END { print sum + 0 }'
}
sample() {   # $1 label → one line "label fds tapfds threads netns links leases attachments heapKiB roottuns"
  local fds tapfds threads netns links leases attachments heap roottuns
  fds="$(ls "/proc/$agent_pid/fd" | wc -l)"
  tapfds="$(find "/proc/$agent_pid/fd" -lname /dev/net/tun 2>/dev/null | wc -l)"
  threads="$(awk '/^Threads:/ {print $2}' "/proc/$agent_pid/status")"
  netns="$(ip netns list | awk '{print $1}' | grep -c "^$prefix-" || true)"
  links="$(( $(ip -n "$prefix-a" -o link | wc -l) + $(ip -n "$prefix-b" -o link | wc -l) ))"
  leases="$(grep -c '^pod ' "$state/ipam/ipam.state" 2>/dev/null || true)"
  attachments="$("${podswitch[@]}" status -o json --socket "$work/api.sock" 2>/dev/null | grep -c '"containerId"' || true)"
  heap="$(heap_used_kib)"
  roottuns="$(ip -o link show type tun | wc -l)"
  echo "$1 $fds $tapfds $threads $netns $links ${leases:-0} ${attachments:-0} $heap $roottuns" | tee -a "$work/samples.txt" >&2
}

# --- the steady flows between the long-lived pods ---------------------------------------------
ip netns exec "$prefix-a" ping -q -i "$ping_interval" "$ip_b" >"$work/ping.txt" 2>&1 &
ping_pid=$!
if [ -n "$python" ]; then
  ip netns exec "$prefix-b" "$python" "$work/udpflow.py" echo 7000 &
  echo_pid=$!
  sleep 0.5
  ip netns exec "$prefix-a" "$python" "$work/udpflow.py" send "$ip_b" 7000 "$udp_rate" >"$work/udp.txt" 2>&1 &
  udp_pid=$!
else
  log "no python3: the UDP flow is skipped, ping only"
fi

one_cycle() {   # $1: cycle name, $2: its number; 0 if ADD, probe and DEL all worked
  local ns="$prefix-c$1" ok=0 result
  current="$ns"
  ip netns add "$ns"
  if result="$(cni add "$ns" "soak-c$1" 2>&1)" && grep -q '"address"' <<<"$result"; then
    if [ "$probe_every" -gt 0 ] && [ $(( $2 % probe_every )) -eq 0 ]; then
      probes_tried=$((probes_tried + 1))
      if ip netns exec "$ns" ping -c 1 -W 2 "$ip_a" >/dev/null 2>&1; then probes_ok=$((probes_ok + 1)); fi
    fi
  else
    ok=1; echo "cycle $1 ADD: $result" >>"$work/failures.txt"
  fi
  cni del "$ns" >>"$work/failures.txt" 2>&1 || { ok=1; echo "cycle $1 DEL failed" >>"$work/failures.txt"; }
  ip netns delete "$ns"
  current=""
  return "$ok"
}

if [ -n "$lock" ]; then exec 9>"$lock"; log "waiting for $lock"; flock 9; fi
log "warm-up: $warmup cycles (not counted)"
for i in $(seq 1 "$warmup"); do one_cycle "w$i" "$i" || true; done
probes_ok=0; probes_tried=0
# One sample before the baseline: the first status call starts the control API's threads, the
# first jcmd the JVM's attach listener; neither is the cycles' doing.
sample warm-up >/dev/null 2>&1
sleep 1
log "baseline (label fds tap-fds threads namespaces links leases attachments heap-KiB root-ns-tuns):"
sample baseline
start=$EPOCHREALTIME
step=$(( cycles >= 10 ? cycles / 10 : 1 ))
for i in $(seq 1 "$cycles"); do
  one_cycle "$i" "$i" || failures=$((failures + 1))
  if [ $(( i % step )) -eq 0 ] || [ "$i" -eq "$cycles" ]; then
    log "cycle $i/$cycles: $(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.1f", e - s}') s, failures $failures, fds $(ls "/proc/$agent_pid/fd" | wc -l), threads $(awk '/^Threads:/ {print $2}' "/proc/$agent_pid/status")"
  fi
  if [ "$i" -eq $(( cycles / 2 )) ]; then sample half; fi
done
elapsed="$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.1f", e - s}')"
sleep 1
sample end
if [ -n "$lock" ]; then flock -u 9; exec 9>&-; fi

stop_pid "$udp_pid" TERM; udp_pid=""
stop_pid "$ping_pid" INT; ping_pid=""
stop_pid "$echo_pid" TERM; echo_pid=""
ping_line="$(grep 'packets transmitted' "$work/ping.txt" || echo "? packets transmitted, ? received")"
ping_sent="$(awk '/packets transmitted/ {print $1}' "$work/ping.txt")"; ping_got="$(awk '/packets transmitted/ {print $4}' "$work/ping.txt")"
udp_line="$(cat "$work/udp.txt" 2>/dev/null || true)"
udp_sent="$(awk '/^sent/ {print $2}' <<<"$udp_line")"; udp_got="$(awk '/^sent/ {print $4}' <<<"$udp_line")"

# --- report -----------------------------------------------------------------------------------
read -r _ b_fds b_tap b_thr b_ns b_links b_leases b_att b_heap b_tun < <(grep '^baseline ' "$work/samples.txt")
read -r _ h_fds h_tap h_thr h_ns h_links h_leases h_att h_heap h_tun < <(grep '^half ' "$work/samples.txt" || grep '^baseline ' "$work/samples.txt")
read -r _ e_fds e_tap e_thr e_ns e_links e_leases e_att e_heap e_tun < <(grep '^end ' "$work/samples.txt")
verdict() { [ "$1" = "$2" ] && echo PASS || echo MISS; }
heap_verdict() { [ $(( $2 - $1 )) -le "$heap_tolerance_kib" ] && echo PASS || echo MISS; }
echo
echo "CNI ADD/DEL soak: $cycles cycles in $elapsed s ($(awk -v n="$cycles" -v s="$elapsed" 'BEGIN {printf "%.1f", n / s}') cycles/s) after $warmup warm-up cycles; failed cycles: $failures"
echo "machine: $(nproc) cores, $(awk -F: '/^model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| resource | baseline | halfway | end | target: back to baseline |"
echo "|---|---:|---:|---:|---|"
echo "| agent fds | $b_fds | $h_fds | $e_fds | $(verdict "$b_fds" "$e_fds") |"
echo "| agent TAP fds (/dev/net/tun) | $b_tap | $h_tap | $e_tap | $(verdict "$b_tap" "$e_tap") |"
echo "| agent threads | $b_thr | $h_thr | $e_thr | $(verdict "$b_thr" "$e_thr") |"
echo "| namespaces $prefix-* | $b_ns | $h_ns | $e_ns | $(verdict "$b_ns" "$e_ns") |"
echo "| links in the long-lived pods' namespaces | $b_links | $h_links | $e_links | $(verdict "$b_links" "$e_links") |"
echo "| TUN/TAP links in the root namespace (whole host: other runs count too) | $b_tun | $h_tun | $e_tun | info |"
echo "| IPAM leases (ipam.state) | $b_leases | $h_leases | $e_leases | $(verdict "$b_leases" "$e_leases") |"
echo "| CNI attachments (status) | $b_att | $h_att | $e_att | $(verdict "$b_att" "$e_att") |"
echo "| live heap after GC, KiB | $b_heap | $h_heap | $e_heap | $(heap_verdict "$b_heap" "$e_heap") (Δ $(( e_heap - b_heap )) KiB, tolerance $heap_tolerance_kib; $(awk -v d="$(( e_heap - h_heap ))" -v n="$(( cycles - cycles / 2 ))" 'BEGIN {printf "%.0f", (n > 0 ? d * 1024 / n : 0)}') B/cycle over the second half) |"
echo
echo "Traffic between the long-lived pods during the cycles (established flows; target: 0 loss):"
if [ -n "$ping_sent" ]; then
  echo "- ping every $ping_interval s: $ping_line — $([ "$ping_sent" = "$ping_got" ] && echo PASS || echo "MISS ($(( ping_sent - ping_got )) lost)")"
fi
if [ -n "$udp_sent" ]; then
  echo "- UDP echo at $udp_rate/s: $udp_line — $([ "$udp_sent" = "$udp_got" ] && echo PASS || echo "MISS ($(( udp_sent - udp_got )) lost)")"
fi
echo "- new pods reach a long-lived pod (ping -c 1 every $probe_every cycles): $probes_ok of $probes_tried"
echo "- received = forwarded + Σ drops: NOT CHECKED — the agent exposes no data-plane counters (see bench/README.md#flood-and-soak)"
[ "$failures" -eq 0 ] || { echo "failed cycles: $failures (see --keep DIR, failures.txt)"; exit 4; }
