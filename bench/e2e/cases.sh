# Sourced by bench/e2e.sh: how each case is built. Each setup_* sets SRC and DST (the two pods'
# network namespaces), DIP (the destination pod's IP) and SWPID (the switch process whose CPU is
# read, empty for the kernel's own datapaths), and registers everything it makes for teardown.
# Names: psw<rid><role>, at most 15 characters.

newns() { ip netns add "$1"; own_ns+=("$1"); ip -n "$1" link set lo up; }

ps_scenario() { # $1 file, $2 one|two
  if [ "$2" = one ]; then
    cat >"$1" <<'YAML'
name: e2e bench, two pods on one node
namespaces:
  default: {}
pods:
  - {name: src, namespace: default, labels: {app: src}}
  - {name: dst, namespace: default, labels: {app: dst}}
YAML
  else
    cat >"$1" <<'YAML'
name: e2e bench, one pod on each of two nodes
cluster:
  nodes: [node-1, node-2]
namespaces:
  default: {}
pods:
  - {name: src, namespace: default, node: node-1, labels: {app: src}}
  - {name: dst, namespace: default, node: node-2, labels: {app: dst}}
YAML
  fi
}

setup_ps() { # $1 one|two: `podswitch up` on a generated scenario
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

setup_br() { # a Linux bridge and veth pairs in a "node" namespace, as the CNI bridge plugin builds it
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

setup_c() { # bench/tapfwd: two TAPs, poll + read + write, virtio-net headers and offloads on
  local a="psw${rid}f" b="psw${rid}g" out="$work/tapfwd.out" i=0 pod
  newns "$a"; newns "$b"
  "$tapfwd" -v "psw${rid}t1" "psw${rid}t2" >"$out" 2>"$work/tapfwd.err" &
  c_pid=$!
  for _ in $(seq 1 50); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$out" || { cat "$work/tapfwd.err" >&2; echo "e2e.sh: tapfwd did not start" >&2; exit 1; }
  for pod in "$a" "$b"; do
    i=$((i + 1))
    ip link set "psw${rid}t$i" netns "$pod"
    ip -n "$pod" addr add "10.95.0.$((i + 1))/24" dev "psw${rid}t$i"; ip -n "$pod" link set "psw${rid}t$i" up
  done
  SRC="$a"; DST="$b"; DIP=10.95.0.3; SWPID="$c_pid"
}

ovs_restart_with_tso() { # $1 true|false: userspace-tso-enable is read when ovs-vswitchd starts
  local now
  now="$(ovs-vsctl --if-exists get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null | tr -d '"')"
  [ "${now:-false}" = "$1" ] && return 0
  ovs-vsctl set Open_vSwitch . other_config:userspace-tso-enable="$1"
  /usr/share/openvswitch/scripts/ovs-ctl restart --system-id=random >>"$work/ovs-ctl.log" 2>&1
  for _ in $(seq 1 100); do [ -f /var/run/openvswitch/ovs-vswitchd.pid ] && ovs-vsctl --timeout=2 show >/dev/null 2>&1 && break; sleep 0.1; done
}

setup_ovs() { # $1 true|false (userspace TSO): OVS bridge datapath_type=netdev, internal (TAP) ports moved into the pods
  local a="psw${rid}c" b="psw${rid}d"
  ovs_restart_with_tso "$1"
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

setup_vx() { # two node namespaces, each a bridge + kernel vxlan device, joined by a veth underlay
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

setup_case() { # $1 case name
  case "$1" in
    ps-1node) setup_ps one ;;
    br-1node) setup_br ;;
    c-1node) setup_c ;;
    ovs-1node) setup_ovs false ;;
    ovstso-1node) setup_ovs true ;;
    ps-2node) setup_ps two ;;
    vx-2node) setup_vx ;;
    *) echo "e2e.sh: unknown case $1" >&2; exit 2 ;;
  esac
}
