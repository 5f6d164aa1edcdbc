#!/usr/bin/env bash
# Multi-host benchmark: N podswitch agents, each in its own "host" network namespace on one Linux
# bridge, one etcd, one pod per host (through cnitool and podswitch's CNI plugin). Measures:
#   1. policy propagation: PropagationProbe writes NetworkPolicy changes straight to etcd, one at a
#      time, and times each from its put's return (revision R) until EVERY agent's GET /status says
#      datastore.appliedRevision >= R (one poller per agent, ~1 ms apart); p50/p99/max. Then one
#      packet test: a deny-all policy makes a cross-host ping fail, deleting it makes it pass.
#   2. agent restart to forwarding: kill -9 host 2's agent, start it again, time from the start
#      command to the first answered ping pod 1 -> pod 2 (ping -c1 -W0.1 in a loop), with the
#      agent's own log lines timed on the way; repeated, median.
#   3. cross-host throughput, pod 1 -> pod 2: iperf3 TCP (one stream) and UDP at a fixed offered
#      rate (-l 1400), through podswitch and, side by side in the same run, through kernel vxlan
#      (flannel-style: per host netns a vxlan device over the same bridge, a Linux bridge with a veth
#      to its own "pod" netns, a route to the other host's pod subnet); rounds interleaved.
# Prints a table at the end and writes it to target/multihost/results.md (and results-<N>hosts.md).
#
# Usage: bench/multihost.sh [--hosts N] [--changes N] [--warmup N] [--restarts N] [--down-time S]
#                           [--hold S] [--time S] [--rounds N] [--udp-rate R] [--quick] [--keep]
#                           [--tmpfs] [--lock FILE|--no-lock]
#   --hosts N      agents/hosts (3)             --changes N   measured policy changes (100)
#   --warmup N     policy changes before them, not counted (5)
#   --restarts N   kill -9 / start cycles (5)   --time S      seconds per iperf3 run (5)
#   --down-time S  how long the killed agent stays down before the start command (0.5)
#   --hold S       after each restart's first answered ping, ping every 20 ms for S s and count losses (8)
#   --rounds N     throughput rounds, each podswitch then kernel vxlan (3)
#   --udp-rate R   iperf3 -b for UDP (500M)
#   --quick        smoke run: 20 changes, 2 warm-up, 2 restarts, 1 round of 2 s (explicit options win)
#   --keep         leave everything running at the end; prints the teardown script to run later
#   --tmpfs        etcd's data and the agents' state directories on /dev/shm (no disk fsync in the way)
#   --lock FILE    hold an exclusive flock on FILE while measuring throughput (/tmp/podswitch-bench.lock)
# Root only. Needs etcd, cnitool, iperf3, jq, ping, and the built cli module:
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ./mvnw -B -q -o -DskipTests -pl cli -am verify
# Topology: bridge psmb-br 10.78.0.1/24 (etcd on 10.78.0.1:23891), host i = netns psmb-hI at
# 10.78.0.(10+I); podswitch pods psmb-pI (10.244.x.y), kernel-vxlan pods psmb-k1/psmb-k2
# (10.79.1.2, 10.79.2.2, vxlan port 8472). Every netns and link is named psmb-*; on any exit (also
# failure or Ctrl-C) pods are deleted with cnitool del, agents and etcd stopped by the PIDs this
# script started, and the netns and links removed. Refuses to start if psmb-* leftovers exist.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hosts=3; changes=""; warmup=""; restarts=""; secs=""; rounds=""; udp_rate=500M; quick=0; keep=0; tmpfs=0
down_time=0.5; hold=8
lock=/tmp/podswitch-bench.lock
args_given="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts="$2"; shift 2 ;;
    --changes) changes="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --restarts) restarts="$2"; shift 2 ;;
    --down-time) down_time="$2"; shift 2 ;;
    --hold) hold="$2"; shift 2 ;;
    --time) secs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --udp-rate) udp_rate="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --keep) keep=1; shift ;;
    --tmpfs) tmpfs=1; shift ;;
    --lock) lock="$2"; shift 2 ;;
    --no-lock) lock=""; shift ;;
    -h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "multihost.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  : "${changes:=20}" "${warmup:=2}" "${restarts:=2}" "${secs:=2}" "${rounds:=1}"
else
  : "${changes:=100}" "${warmup:=5}" "${restarts:=5}" "${secs:=5}" "${rounds:=3}"
fi
[[ "$down_time" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "multihost.sh: --down-time must be seconds" >&2; exit 2; }
for v in hosts changes warmup restarts secs rounds hold; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "multihost.sh: --$v must be a number" >&2; exit 2; }
done
[ "$hosts" -ge 2 ] && [ "$hosts" -le 100 ] || { echo "multihost.sh: --hosts must be 2..100" >&2; exit 2; }
[ "$changes" -ge 1 ] || { echo "multihost.sh: --changes must be >= 1" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "multihost.sh: needs root (namespaces, bridges, TAPs)" >&2; exit 2; }
for tool in ip etcd cnitool iperf3 jq ping awk flock curl; do
  command -v "$tool" >/dev/null || { echo "multihost.sh: needs $tool (apt-get install -y iperf3 jq curl; etcd, cnitool)" >&2; exit 2; }
done
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java="$JAVA_HOME/bin/java"
[ -x "$java" ] || { echo "multihost.sh: no java at $java (set JAVA_HOME to a JDK 25)" >&2; exit 2; }
cp_="$home/cli/target/classes:$home/cli/target/lib/*"
if [ ! -f "$home/cli/target/classes/dev/podswitch/cli/bench/PropagationProbe.class" ] || ! ls "$home"/cli/target/lib/*.jar >/dev/null 2>&1; then
  echo "multihost.sh: build first: cd $home && JAVA_HOME=$JAVA_HOME ./mvnw -B -q -o -DskipTests -pl cli -am verify" >&2; exit 2
fi
jvm=("$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Dstdout.encoding=UTF-8
  -Dstderr.encoding=UTF-8 -XX:+UseSerialGC -Xss1m -cp "$cp_")

# One run at a time: the names, subnet and ports below are fixed.
exec 8>/tmp/psmb-multihost.lock
flock -n 8 || { echo "multihost.sh: another multihost.sh run (or a --keep run's helpers) holds /tmp/psmb-multihost.lock" >&2; exit 2; }
left="$( (ip netns list | awk '{print $1}'; ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1) | grep '^psmb' || true)"
if [ -n "$left" ]; then
  echo "multihost.sh: psmb* namespaces/links exist already (a --keep run, or leftovers): $(echo $left)" >&2
  echo "  remove them first (the --keep run's down.sh, or ip netns del / ip link del each)" >&2; exit 2
fi
if ip -4 route show | grep -q '^10\.78\.0\.'; then
  echo "multihost.sh: 10.78.0.0/24 is already routed on this host; cannot use it for the bridge" >&2; exit 2
fi

net=10.78.0; etcd_port=23891; etcd_peer=23901; etcd_url="http://$net.1:$etcd_port"
if [ "$tmpfs" = 1 ]; then work="$(mktemp -d -p /dev/shm psmb-mh.XXXXXX)"; else work="$(mktemp -d -t psmb-mh.XXXXXX)"; fi
storage="$(df -T "$work" | awk 'NR==2{print $2}')"
outdir="$home/target/multihost"; mkdir -p "$outdir"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"; ncpu="$(nproc)"
machine="CPU $cpu, $ncpu vCPUs, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
etcd_pid=""; declare -a agent_pid pod_ip
own_ns=(); own_links=(); srv_pids=()
started="$(date '+%Y-%m-%d %H:%M')"; load0="$(cut -d' ' -f1-3 /proc/loadavg)"

log() { echo "[multihost $(date +%H:%M:%S)] $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---------- cleanup (trap EXIT) ----------
stop_pid() { # pid: TERM, up to 20 s, then KILL
  local p="$1"; [ -n "$p" ] || return 0
  kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
cni() { # add|del host-index
  local d="$work/h$2"
  ip netns exec "psmb-h$2" env CNI_PATH="$d/bin" NETCONFPATH="$d/conf" \
    CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=p$2" cnitool "$1" podswitch "/var/run/netns/psmb-p$2"
}
write_down_script() { # for --keep: the same teardown, by PID and name, later
  {
    echo "#!/usr/bin/env bash"
    echo "# tears down the multihost.sh --keep run in $work"
    local i
    for i in $(seq 1 "$hosts"); do
      echo "ip netns exec psmb-h$i env CNI_PATH=$work/h$i/bin NETCONFPATH=$work/h$i/conf CNI_ARGS='K8S_POD_NAMESPACE=default;K8S_POD_NAME=p$i' cnitool del podswitch /var/run/netns/psmb-p$i 2>/dev/null"
    done
    for i in "${!agent_pid[@]}"; do [ -n "${agent_pid[$i]}" ] && echo "kill ${agent_pid[$i]} 2>/dev/null"; done
    echo "sleep 3"
    [ -n "$etcd_pid" ] && echo "kill $etcd_pid 2>/dev/null"
    local n l
    for l in "${own_links[@]}"; do echo "ip link del $l 2>/dev/null"; done
    for n in "${own_ns[@]}"; do echo "ip netns del $n 2>/dev/null"; done
    echo "rm -rf $work"
    echo "true"
  } >"$work/down.sh"
  chmod +x "$work/down.sh"
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  exec 9>&- || true
  local p i
  for p in "${srv_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then
    write_down_script
    log "--keep: everything left running; tear down with: $work/down.sh"
    exit "$rc"
  fi
  log "tearing down"
  for i in "${!pod_ip[@]}"; do
    [ -n "${agent_pid[$i]:-}" ] && kill -0 "${agent_pid[$i]}" 2>/dev/null && { cni del "$i" >/dev/null 2>&1 || true; }
  done
  local stoppers=()
  for i in "${!agent_pid[@]}"; do stop_pid "${agent_pid[$i]}" & stoppers+=($!); done
  [ ${#stoppers[@]} -eq 0 ] || wait "${stoppers[@]}" 2>/dev/null || true
  for i in "${!agent_pid[@]}"; do wait "${agent_pid[$i]}" 2>/dev/null || true; done
  stop_pid "$etcd_pid"
  local n l
  for l in "${own_links[@]}"; do ip link del "$l" 2>/dev/null || true; done
  for n in "${own_ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  local rest; rest="$( (ip netns list | awk '{print $1}'; ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1) | grep '^psmb' || true)"
  [ -z "$rest" ] || echo "multihost.sh: WARNING: left behind: $(echo $rest)" >&2
  if [ "$rc" = 0 ]; then rm -rf "$work"; else log "logs kept in $work (agent logs: $work/h*/agent.log)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

newns() { ip netns add "$1"; own_ns+=("$1"); ip -n "$1" link set lo up; }
now() { echo "$EPOCHREALTIME"; }
ms_since() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", (b - a) * 1000}'; }
# A line-timestamping filter for the agents' output: "EPOCHSECONDS.micro line".
stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }
api() { curl -s --max-time 2 --unix-socket "$work/h$1/api.sock" "http://podswitch$2"; }
probe() { "${jvm[@]}" dev.podswitch.cli.bench.PropagationProbe --etcd "$etcd_url" --api "$sockets" "$@"; }
ping_ok() { ip netns exec "$1" ping -c1 -W"${3:-1}" -q "$2" >/dev/null 2>&1; }

start_agent() { # host-index; appends to its log
  local i="$1" d="$work/h$1"
  ip netns exec "psmb-h$i" "${jvm[@]}" dev.podswitch.cli.Main agent --node "h$i" --etcd "$etcd_url" \
    --underlay-address "$net.$((10 + i))" --state-dir "$d/state" --socket "$d/cni.sock" --api-socket "$d/api.sock" \
    --conf-dir "$d/conf" --subnet-lease-ttl 10s > >(exec 8>&-; stamp >>"$d/agent.log") 2>&1 8>&- &
  agent_pid[$i]=$!
}
wait_agent_ready() { # host-index timeout-s: its API answers with a subnet
  local i="$1" deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "${agent_pid[$i]}" 2>/dev/null || { tail -20 "$work/h$i/agent.log" >&2; die "agent h$i exited"; }
    [ "$(api "$i" /status 2>/dev/null | jq -r '.. | objects | select(has("appliedRevision")) | .subnet // empty' 2>/dev/null | head -1)" != "" ] && return 0
    sleep 0.2
  done
  tail -20 "$work/h$i/agent.log" >&2; die "agent h$i not ready after $2 s"
}

# ---------- 1. topology ----------
log "$machine; load average $load0"
log "setting up: $hosts hosts on bridge psmb-br ($net.0/24), etcd at $etcd_url, work dir $work ($storage: etcd data, agent state)"
ip link add psmb-br type bridge; own_links+=(psmb-br)
ip addr add "$net.1/24" dev psmb-br; ip link set psmb-br up
for i in $(seq 1 "$hosts"); do
  newns "psmb-h$i"
  ip link add "psmb-h${i}a" type veth peer name "psmb-h${i}b" netns "psmb-h$i"; own_links+=("psmb-h${i}a")
  ip link set "psmb-h${i}a" master psmb-br up
  ip -n "psmb-h$i" addr add "$net.$((10 + i))/24" dev "psmb-h${i}b"; ip -n "psmb-h$i" link set "psmb-h${i}b" up
done
etcd --name psmb --data-dir "$work/etcd" --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "psmb=http://127.0.0.1:$etcd_peer" >"$work/etcd.log" 2>&1 8>&- &
etcd_pid=$!
for _ in $(seq 1 100); do curl -s --max-time 1 "$etcd_url/health" 2>/dev/null | grep -q '"health":"true"' && break; sleep 0.1; done
curl -s --max-time 1 "$etcd_url/health" | grep -q '"health":"true"' || { tail "$work/etcd.log" >&2; die "etcd did not come up"; }
log "etcd up (pid $etcd_pid)"

t_setup="$(now)"
for i in $(seq 1 "$hosts"); do
  d="$work/h$i"; mkdir -p "$d/bin" "$d/conf"
  "${jvm[@]}" dev.podswitch.cli.Main cni install --bin-dir "$d/bin" --conf-dir "$d/conf" --socket "$d/cni.sock" >"$d/cni-install.log" 2>&1 \
    || { cat "$d/cni-install.log" >&2; die "cni install for h$i"; }
done
log "CNI plugin installed for $hosts hosts; starting $hosts agents"
for i in $(seq 1 "$hosts"); do start_agent "$i"; done
sockets=""
for i in $(seq 1 "$hosts"); do
  wait_agent_ready "$i" 180
  sockets="${sockets:+$sockets,}$work/h$i/api.sock"
  log "agent h$i up (pid ${agent_pid[$i]}): $(api "$i" /status | jq -r '[.. | objects | select(has("appliedRevision"))][0] | "subnet \(.subnet), pod MTU \(.podMtu)"')"
done
t_agents="$(now)"
for i in $(seq 1 "$hosts"); do
  newns "psmb-p$i"
  out="$(cni add "$i" 2>&1)" || { echo "$out" >&2; die "cnitool add on h$i"; }
  pod_ip[$i]="$(echo "$out" | jq -r '.ips[0].address' | cut -d/ -f1)"
  log "pod default/p$i on h$i: ${pod_ip[$i]}"
done
probe wait >/dev/null 2>"$work/probe-wait.log" || { cat "$work/probe-wait.log" >&2; die "agents did not converge"; }
for i in $(seq 1 "$hosts"); do   # every pod reaches the next host's pod (a ring over all hosts)
  j=$((i % hosts + 1)); ok=0
  for _ in $(seq 1 20); do ping_ok "psmb-p$i" "${pod_ip[$j]}" 1 && { ok=1; break; }; sleep 0.25; done
  [ "$ok" = 1 ] || die "pod p$i (h$i) cannot ping p$j (h$j, ${pod_ip[$j]})"
done
t_ready="$(now)"
log "all $hosts pods reach each other's hosts (ring of pings); agents up in $(ms_since "$t_setup" "$t_agents") ms, pods + first pings $(ms_since "$t_agents" "$t_ready") ms [$cpu]"

# ---------- 2. policy propagation ----------
log "policy propagation: $warmup warm-up + $changes measured changes to etcd, each until all $hosts agents applied it"
probe changes "$changes" --warmup "$warmup" --tsv "$outdir/propagation-${hosts}hosts.tsv" >"$work/probe.out" 2>"$work/probe.log" \
  || { cat "$work/probe.log" "$work/probe.out" >&2; die "propagation probe"; }
sed 's/^/    /' "$work/probe.log" >&2
prop="$(tail -1 "$work/probe.out")"
pv() { echo "$prop" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
log "propagation: p50 $(pv p50_ms) ms, p99 $(pv p99_ms) ms, max $(pv max_ms) ms (etcd put p50 $(pv put_p50_ms) ms) [$cpu]"

cat >"$work/deny-all.json" <<'EOF'
{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
 "metadata": {"name": "psmb-deny-all", "namespace": "default"},
 "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
EOF
enforce="not checked"
before_ok=0; denied_ok=0; after_ok=0
ping_ok psmb-p1 "${pod_ip[2]}" 1 && before_ok=1
deny_ms="$(probe put "$work/deny-all.json" 2>>"$work/probe.log" | sed -n 's/.*all_ms=\([^ ]*\).*/\1/p')"
if ! ping_ok psmb-p1 "${pod_ip[2]}" 1 && ! ping_ok "psmb-p2" "${pod_ip[1]}" 1; then denied_ok=1; fi
allow_ms="$(probe delete psmb-deny-all 2>>"$work/probe.log" | sed -n 's/.*all_ms=\([^ ]*\).*/\1/p')"
ping_ok psmb-p1 "${pod_ip[2]}" 1 && after_ok=1
if [ "$before_ok$denied_ok$after_ok" = 111 ]; then
  enforce="yes: ping p1 -> p2 passed, failed both ways under deny-all (in force on all agents after ${deny_ms} ms), passed again once it was deleted (${allow_ms} ms)"
else
  enforce="NO: ping before=$before_ok denied=$denied_ok after-delete=$after_ok (1 = as expected)"
fi
log "policy enforced: $enforce"

# ---------- 3. agent restart to forwarding ----------
r_host=2
log "restart: kill -9 agent h$r_host, start it again, time to the first answered ping p1 -> p$r_host (${pod_ip[$r_host]}); $restarts times"
: >"$work/restart.tsv"
milestones=("CNI config in force" "joined the cluster" "subnet .* (claimed|is still)" "re-attached" "node h1 joined" "serving the CNI plugin")
mnames=(first_line etcd_joined subnet re_attached route_h1 serving)
for r in $(seq 1 "$restarts"); do
  kill -KILL "${agent_pid[$r_host]}"; wait "${agent_pid[$r_host]}" 2>/dev/null || true
  down="answered"; ping_ok psmb-p1 "${pod_ip[$r_host]}" 0.2 || down="no answer"
  sleep "$down_time"
  echo "--- restart $r" >>"$work/h$r_host/agent.log"
  t0="$(now)"
  start_agent "$r_host"
  tries=0
  until ping_ok psmb-p1 "${pod_ip[$r_host]}" 0.1; do
    tries=$((tries + 1))
    if ! kill -0 "${agent_pid[$r_host]}" 2>/dev/null; then
      grep -v -P '^\S+ \tat ' "$work/h$r_host/agent.log" | tail -8 >&2
      die "agent h$r_host exited during restart $r (its log above; all logs in $work)"
    fi
    [ "$tries" -lt 600 ] || { tail -20 "$work/h$r_host/agent.log" >&2; die "no ping through the restarted agent after 600 tries"; }
  done
  t1="$(now)"
  total="$(ms_since "$t0" "$t1")"
  # does forwarding stay up? ping every 20 ms for $hold s from here on, while the agent finishes starting
  ip netns exec psmb-p1 ping -i 0.02 -W 1 -w "$hold" -q "${pod_ip[$r_host]}" >"$work/hold.$r" 2>&1 8>&- &
  hold_pid=$!; srv_pids+=("$hold_pid")
  wait_agent_ready "$r_host" 60
  # the agent's own lines after this restart's marker, as ms since the start command
  line="$r	$total"
  detail=""
  for k in "${!milestones[@]}"; do
    ts="$(awk -v m="--- restart $r" '$0 == m {on=1; next} on' "$work/h$r_host/agent.log" | grep -E -m1 "${milestones[$k]}" | cut -d' ' -f1 || true)"
    v="-"; [ -n "$ts" ] && v="$(ms_since "$t0" "$ts")"
    line="$line	$v"; detail="$detail ${mnames[$k]}=$v"
  done
  wait "$hold_pid" 2>/dev/null || true
  sent="$(grep -o '[0-9]* packets transmitted' "$work/hold.$r" | cut -d' ' -f1)"; got="$(grep -o '[0-9]* received' "$work/hold.$r" | cut -d' ' -f1)"
  lost="$(( ${sent:-0} - ${got:-0} ))/${sent:-0}"
  # did the other agents see this node leave (its etcd lease gone) after the start command?
  left_seen="$(awk -v t0="$t0" -v n="node h$r_host " '$1 >= t0 && index($0, n) && /left the cluster/' "$work"/h*/agent.log | wc -l)"
  line="$line	$lost	$left_seen"
  echo "$line" >>"$work/restart.tsv"
  log "restart $r: first answered ping after $total ms ($tries failed pings; with the agent dead the ping got: $down); agent log, ms after start:$detail; then ${hold} s of pings every 20 ms: lost $lost; other agents logging 'node h$r_host ... left the cluster': $left_seen [$cpu]"
  probe wait >/dev/null 2>>"$work/probe-wait.log" || die "agents did not converge after restart $r"
done
cp "$work/restart.tsv" "$outdir/restart-${hosts}hosts.tsv"

# ---------- 4. throughput: podswitch vs kernel vxlan ----------
log "kernel vxlan reference: psmb-k1/psmb-k2 behind bridges + vxlan (id 79, port 8472) in psmb-h1/psmb-h2"
for i in 1 2; do
  h="psmb-h$i"; k="psmb-k$i"; o=$((3 - i))
  newns "$k"
  ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$h" link add "psmb-kx$i" address "0e:4d:42:00:00:0$i" type vxlan id 79 local "$net.$((10 + i))" dev "psmb-h${i}b" dstport 8472 nolearning
  ip -n "$h" addr add "10.79.$i.0/32" dev "psmb-kx$i"; ip -n "$h" link set "psmb-kx$i" up
  ip -n "$h" link add "psmb-kb$i" type bridge; ip -n "$h" addr add "10.79.$i.1/24" dev "psmb-kb$i"; ip -n "$h" link set "psmb-kb$i" up
  ip -n "$h" link add "psmb-kv${i}a" type veth peer name "psmb-kv${i}b" netns "$k"
  ip -n "$h" link set "psmb-kv${i}a" master "psmb-kb$i" up
  ip -n "$k" link set "psmb-kv${i}b" mtu 1450
  ip -n "$k" addr add "10.79.$i.2/24" dev "psmb-kv${i}b"; ip -n "$k" link set "psmb-kv${i}b" up
  ip -n "$k" route add default via "10.79.$i.1"
  # flannel's vxlan backend: route via the peer's VTEP address, onlink; its MAC by a permanent neighbour; FDB to its underlay IP
  ip -n "$h" route add "10.79.$o.0/24" via "10.79.$o.0" dev "psmb-kx$i" onlink
  ip -n "$h" neigh add "10.79.$o.0" lladdr "0e:4d:42:00:00:0$o" dev "psmb-kx$i" nud permanent
  ip netns exec "$h" bridge fdb append "0e:4d:42:00:00:0$o" dev "psmb-kx$i" dst "$net.$((10 + o))"
done
ok=0; for _ in $(seq 1 10); do ping_ok psmb-k1 10.79.2.2 1 && { ok=1; break; }; sleep 0.2; done
[ "$ok" = 1 ] || die "kernel vxlan pods cannot ping each other"
log "kernel vxlan pair up (MTU $(ip -n psmb-k1 -o link show psmb-kv1b | grep -o 'mtu [0-9]*'), vxlan $(ip -n psmb-h1 -o link show psmb-kx1 | grep -o 'mtu [0-9]*'))"

: >"$work/tput.tsv"   # case round tcp_gbps udp_gbps udp_loss cpu_tcp_pct
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
hz="$(getconf CLK_TCK)"
measure() { # case src-ns dst-ns dst-ip round [pids to charge CPU to]
  local c="$1" src="$2" dst="$3" dip="$4" r="$5"; shift 5
  local j="$work/$c.$r"
  ip netns exec "$dst" iperf3 -s -p 5201 >/dev/null 2>&1 8>&- 9>&- &
  local spid=$!; srv_pids+=("$spid")
  for _ in $(seq 1 50); do ip netns exec "$dst" ss -ltn 2>/dev/null | grep -q ':5201 ' && break; sleep 0.1; done
  if [ -n "$lock" ]; then exec 9>"$lock"; flock 9; fi
  ip netns exec "$src" timeout 30 iperf3 -c "$dip" -t 3 >/dev/null 2>&1 8>&- 9>&- || true   # warm-up (ARP, JIT), not counted
  local c0 c1 n0 n1 cpu_pct=-
  c0="$(cpu_ticks "$@")"; n0="$(now)"
  ip netns exec "$src" timeout $((secs + 30)) iperf3 -c "$dip" -t "$secs" -J >"$j.tcp.json" 2>>"$work/iperf3.err" 8>&- 9>&- || true
  c1="$(cpu_ticks "$@")"; n1="$(now)"
  [ $# -gt 0 ] && cpu_pct="$(awk -v a="$c0" -v b="$c1" -v n0="$n0" -v n1="$n1" -v hz="$hz" 'BEGIN{printf "%.0f", (b - a) / hz / (n1 - n0) * 100}')"
  ip netns exec "$src" timeout $((secs + 30)) iperf3 -c "$dip" -u -b "$udp_rate" -l 1400 -t "$secs" -J >"$j.udp.json" 2>>"$work/iperf3.err" 8>&- 9>&- || true
  if [ -n "$lock" ]; then flock -u 9; exec 9>&-; fi
  kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
  local tcp udp loss
  tcp="$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' "$j.tcp.json" 2>/dev/null || echo 0)"
  udp="$(jq -r 'if .end.sum_received.bits_per_second then .end.sum_received.bits_per_second / 1e9
    else (.end.sum.bits_per_second // 0) * (1 - (.end.sum.lost_percent // 100) / 100) / 1e9 end' "$j.udp.json" 2>/dev/null || echo 0)"
  loss="$(jq -r '.end.sum.lost_percent // 100' "$j.udp.json" 2>/dev/null || echo 100)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$tcp" "$udp" "$loss" "$cpu_pct" >>"$work/tput.tsv"
  log "$c round $r: TCP $(printf '%.2f' "$tcp") Gbit/s (agents' CPU ${cpu_pct}% of a core), UDP -b $udp_rate -l 1400: $(printf '%.3f' "$udp") Gbit/s received, loss $(printf '%.2f' "$loss") % [$cpu]"
}
log "throughput p1 -> p2: $rounds round(s), each podswitch then kernel vxlan; TCP ${secs} s, UDP -b $udp_rate -l 1400 ${secs} s${lock:+; measured holding flock $lock}"
for r in $(seq 1 "$rounds"); do
  measure podswitch psmb-p1 psmb-p2 "${pod_ip[2]}" "$r" "${agent_pid[1]}" "${agent_pid[2]}"
  measure kernel-vxlan psmb-k1 psmb-k2 10.79.2.2 "$r"
done
cp "$work/tput.tsv" "$outdir/throughput-${hosts}hosts.tsv"

# ---------- report ----------
median() { sort -g | awk '{v[NR]=$1} END{if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2}'; }
col() { awk -F'\t' -v c="$1" -v k="$2" '$1==c {print $k}' "$work/tput.tsv"; }
rng() { sort -g | awk '{v[NR]=$1} END{printf "%.2f–%.2f", v[1], v[NR]}'; }
tcp_ps="$(col podswitch 3 | median)"; tcp_kv="$(col kernel-vxlan 3 | median)"
udp_ps="$(col podswitch 4 | median)"; udp_kv="$(col kernel-vxlan 4 | median)"
loss_ps="$(col podswitch 5 | median)"; loss_kv="$(col kernel-vxlan 5 | median)"
cpu_ps="$(col podswitch 6 | median)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2f×", a / b; else print "–"}'; }
restart_med="$(cut -f2 "$work/restart.tsv" | median)"
restart_max="$(cut -f2 "$work/restart.tsv" | sort -g | tail -1)"
meet() { awk -v v="$1" -v t="$2" 'BEGIN{print (v + 0 < t + 0) ? "met" : "**not met**"}'; }
# the agents' logs, kept next to the results; anything that looks like trouble is quoted in the report
logdir="$outdir/logs-${hosts}hosts"; rm -rf "$logdir"; mkdir -p "$logdir"
for i in $(seq 1 "$hosts"); do cp "$work/h$i/agent.log" "$logdir/h$i.log"; done
cp "$work/etcd.log" "$logdir/etcd.log"
trouble="$(grep -H -i -E 'exception|error|refused|skipped|not applied|watch ended|left the cluster|fail|lost|expired' "$logdir"/h*.log | sed "s|^$logdir/||" || true)"
commit="$(git -C "$home" log -1 --format='%h %s' 2>/dev/null | cut -c1-80 || echo '?')"
{
  echo "## Multi-host run: $hosts hosts, $started"
  echo
  echo "Machine: $machine; load average before the run $load0 (1, 5, 15 min)."
  echo "Command: \`bench/multihost.sh $args_given\`; podswitch at \`$commit\`; etcd data and agent state directories on $storage."
  echo "Setup: $hosts agents up in $(ms_since "$t_setup" "$t_agents") ms (in parallel, from the first start command), $hosts pods added (cnitool) and pinged in a ring in $(ms_since "$t_agents" "$t_ready") ms."
  echo
  echo "### Policy propagation (etcd put returned → every agent's appliedRevision ≥ its revision), CPU $cpu"
  echo
  echo "| agents | changes | p50 ms | p90 ms | p99 ms | max ms | min ms | etcd put p50 / p99 ms | own etcd watch p50 / p99 ms | per-agent p50 ms | target p99 < 1 s |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  echo "| $hosts | $(pv changes) | $(pv p50_ms) | $(pv p90_ms) | $(pv p99_ms) | $(pv max_ms) | $(pv min_ms) | $(pv put_p50_ms) / $(pv put_p99_ms) | $(pv watch_p50_ms) / $(pv watch_p99_ms) | $(pv agent_p50_ms | tr ',' ' ') | $(awk -v v="$(pv p99_ms)" 'BEGIN{print (v < 1000) ? "met" : "**not met**"}') |"
  echo
  echo "Enforced at the end: $enforce."
  echo
  echo "### Agent restart to forwarding (kill -9 agent h$r_host, start command → first answered ping p1 → p$r_host; ping -c1 -W0.1 in a loop, so ±0.1 s), CPU $cpu"
  echo
  echo "Down for ${down_time} s before each start command. Then pings every 20 ms for ${hold} s: lost/sent, and how many other agents logged \"node h$r_host ... left the cluster\" (its etcd lease expired) meanwhile."
  echo
  echo "| restart | to forwarding ms | agent log, ms after the start command: first line | etcd joined | subnet lease | pod re-attached | route to h1 | API serving | pings lost after | 'left the cluster' |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{printf "| %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}' "$work/restart.tsv"
  echo
  echo "Median $restart_med ms, max $restart_max ms; target < 2 s: $(meet "$restart_med" 2000) (median), $(meet "$restart_max" 2000) (every restart)."
  echo
  echo "### Cross-host throughput p1 → p2 (median of $rounds round(s), min–max), CPU $cpu"
  echo
  echo "| path | TCP Gbit/s (${secs} s, 1 stream) | UDP Gbit/s received (-b $udp_rate -l 1400) | UDP loss % | agents' CPU % (TCP, both hosts) |"
  echo "|---|---:|---:|---:|---:|"
  echo "| podswitch | $(printf '%.2f' "$tcp_ps") ($(col podswitch 3 | rng)) | $(printf '%.3f' "$udp_ps") | $(printf '%.2f' "$loss_ps") | $cpu_ps |"
  echo "| kernel vxlan + bridges (flannel-style) | $(printf '%.2f' "$tcp_kv") ($(col kernel-vxlan 3 | rng)) | $(printf '%.3f' "$udp_kv") | $(printf '%.2f' "$loss_kv") | – |"
  echo "| podswitch / kernel | $(ratio "$tcp_ps" "$tcp_kv") | $(ratio "$udp_ps" "$udp_kv") | | |"
  echo
  if [ -z "$trouble" ]; then
    echo "Agent logs (target/multihost/logs-${hosts}hosts/): no line mentions an exception, error, refusal, skipped key, failure or expiry."
  else
    echo "Agent logs (target/multihost/logs-${hosts}hosts/), lines that look like trouble ($(echo "$trouble" | wc -l), first 10):"
    echo
    echo "$trouble" | head -10 | cut -c1-300 | sed 's/^/    /'
  fi
} >"$outdir/results.md"
cp "$outdir/results.md" "$outdir/results-${hosts}hosts.md"
echo
cat "$outdir/results.md"
echo
log "written: $outdir/results.md (and results-${hosts}hosts.md, propagation/restart/throughput TSVs)"
