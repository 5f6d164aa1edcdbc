# Sourced by bench/e2e.sh: the measurements of one case in one round, between SRC and DST (DIP),
# with the switch process SWPID's CPU read from /proc. One row of results.tsv per call:
#   case round tcp_gbps cpu_tcp_pct udp64_full_kpps udp64_full_loss_pct udp64_kpps udp1400_kpps
#   ping_p50_us ping_p99_us ping_max_us loaded_p50_us loaded_p99_us loaded_max_us rr_per_s
# udp64/udp1400: the highest offered rate received with at most 0.1 % loss (RFC 2544's throughput,
# searched by bisection); udp64_full: what arrives when iperf3 sends as fast as it can, and the loss.

LOSS_LIMIT_PCT=0.1

cpu_ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
now_ns() { date +%s%N; }
hz="$(getconf CLK_TCK)"
cpu_pct() { # ticks0 ticks1 ns0 ns1 -> % of one core
  awk -v t0="$1" -v t1="$2" -v n0="$3" -v n1="$4" -v hz="$hz" 'BEGIN{printf "%.0f", (t1 - t0) / hz / ((n1 - n0) / 1e9) * 100}'
}
in_src() { ip netns exec "$SRC" "$@" 9>&-; }
in_dst() { ip netns exec "$DST" "$@" 9>&-; }

start_servers() { # iperf3 for the measurement and for the background load, sockperf for request/response
  # Started directly (not through a shell function), so $! is the server itself: `ip netns exec`
  # execs it, and teardown's kill reaches it.
  ip netns exec "$DST" iperf3 -s -p 5201 >/dev/null 2>&1 9>&- & srv_pids+=($!)
  ip netns exec "$DST" iperf3 -s -p 5202 >/dev/null 2>&1 9>&- & srv_pids+=($!)
  ip netns exec "$DST" sockperf server --tcp -i "$DIP" -p 11111 >/dev/null 2>&1 9>&- & srv_pids+=($!)
  for _ in $(seq 1 50); do
    in_dst ss -ltn 2>/dev/null | grep -q ':5201 ' && in_dst ss -ltn 2>/dev/null | grep -q ':11111 ' && return 0
    sleep 0.1
  done
  echo "e2e.sh: the servers in $DST did not start" >&2; exit 1
}

measure_tcp() { # -> "gbps cpu_pct"
  local j="$1" t0 t1 n0 n1
  t0="$(cpu_ticks "$SWPID")"; n0="$(now_ns)"
  in_src timeout $((secs + 30)) iperf3 -c "$DIP" -t "$secs" -J >"$j" || true
  t1="$(cpu_ticks "$SWPID")"; n1="$(now_ns)"
  echo "$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' "$j" 2>/dev/null || echo 0) $([ -n "$SWPID" ] && cpu_pct "$t0" "$t1" "$n0" "$n1" || echo -)"
}

udp_trial() { # $1 payload bytes, $2 offered packets/s (0: as fast as iperf3 sends), $3 s -> "sent_pps received_pps loss_pct"
  # -w 4M: socket buffers deep enough that iperf3's paced bursts are not lost in the receiving
  # socket (that would measure iperf3, not the datapath; with the default buffer even the bridge
  # lost 0.7 % at 117 kpkt/s here, with 4 MiB nothing).
  local j="$work/udp-trial.json"
  in_src timeout $(($3 + 20)) iperf3 -c "$DIP" -u -l "$1" -w 4M -b "$(($2 * $1 * 8))" -t "$3" -J >"$j" 2>/dev/null || true
  jq -r --argjson size "$1" '[((.end.sum_sent.packets // 0) / (.end.sum_sent.seconds // 1)),
      ((.end.sum_received.bytes // 0) / $size / (.end.sum_received.seconds // 1)),
      (.end.sum_received.lost_percent // 100)] | @tsv' "$j" 2>/dev/null || echo "0 0 100"
}

passes() { awk -v l="$1" -v m="$LOSS_LIMIT_PCT" 'BEGIN{exit !(l <= m)}'; }

udp_zero_loss() { # $1 payload bytes -> the highest rate (packets/s) received with <= LOSS_LIMIT_PCT loss
  # Bisection on the offered rate between 0 and what iperf3 sends flat out; the figure is the
  # highest rate that arrived in a passing trial (iperf3's pacer may send less than asked).
  local sent received loss lo=0 hi mid best=0
  read -r sent received loss < <(udp_trial "$1" 0 "$search_secs")
  if passes "$loss"; then
    printf '%.0f\n' "$received"; return   # nothing lost at iperf3's top speed: the sender is the limit
  fi
  hi="$(printf '%.0f' "$sent")"
  for _ in $(seq 1 "$search_steps"); do
    mid=$(((lo + hi) / 2))
    [ "$mid" -gt 0 ] || break
    read -r sent received loss < <(udp_trial "$1" "$mid" "$search_secs")
    if passes "$loss"; then
      lo="$mid"
      best="$(awk -v b="$best" -v r="$received" 'BEGIN{printf "%.0f", (r > b ? r : b)}')"
      if awk -v s="$sent" -v o="$mid" 'BEGIN{exit !(s < o * 0.95)}'; then
        log "UDP $1 B: iperf3's pacer sent $(printf '%.0f' "$sent") of the $mid pkt/s asked, nothing lost: above this the figure is the sender's limit, not the datapath's"
      fi
    else
      hi="$mid"
    fi
  done
  echo "$best"
}

ping_percentiles() { # $1 ping output -> "p50 p99 max" in µs
  grep -o 'time=[0-9.]*' "$1" | cut -d= -f2 | sort -g | awk '{v[NR] = $1 * 1000}
    END{if (NR == 0) {print "nan nan nan"; exit}
      p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]; printf "%.0f %.0f %.0f\n", p50, p99, v[NR]}'
}

measure_latency() { # $1 file prefix -> "p50 p99 max loaded_p50 loaded_p99 loaded_max"; pings at 10 ms intervals
  local idle loaded load_pid
  in_src ping -c "$pings" -i 0.01 -W 1 "$DIP" >"$1.ping" 2>&1 || true
  # Under load: a 1 Gbit/s TCP stream between the same pods, through the same switch, meanwhile.
  ip netns exec "$SRC" timeout $((pings / 100 + 30)) iperf3 -c "$DIP" -p 5202 -b 1G -t $((pings / 100 + 3)) \
    >/dev/null 2>&1 9>&- &
  load_pid=$!
  sleep 1
  in_src ping -c "$pings" -i 0.01 -W 1 "$DIP" >"$1.loaded.ping" 2>&1 || true
  wait "$load_pid" 2>/dev/null || true
  idle="$(ping_percentiles "$1.ping")"; loaded="$(ping_percentiles "$1.loaded.ping")"
  echo "$idle $loaded"
}

measure_rr() { # TCP request/response (1-byte-ish messages, one in flight): transactions per second
  in_src timeout $((secs + 20)) sockperf ping-pong --tcp -i "$DIP" -p 11111 -t "$secs" >"$1.rr" 2>&1 || true
  grep -a '\[Valid Duration\]' "$1.rr" | sed 's/.*RunTime=\([0-9.]*\) sec.*ReceivedMessages=\([0-9]*\).*/\1 \2/' |
    awk '{if ($1 > 0) printf "%.0f\n", $2 / $1; else print "nan"}' | grep . || echo nan
}

measure() { # $1 case, $2 round
  local c="$1" r="$2" j="$work/$1.$2" tcp cpu full_sent full_pps full_loss z64 z1400 lat rr
  srv_pids=()
  start_servers
  if [ -n "$lock" ]; then exec 9>"$lock"; flock 9; fi
  in_src timeout 30 iperf3 -c "$DIP" -t 2 >/dev/null 2>&1 || true   # warm-up (ARP, JIT), not counted
  read -r tcp cpu < <(measure_tcp "$j.tcp.json")
  read -r full_sent full_pps full_loss < <(udp_trial 64 0 "$secs")
  z64="$(udp_zero_loss 64)"; z1400="$(udp_zero_loss 1400)"
  lat="$(measure_latency "$j")"
  rr="$(measure_rr "$j")"
  if [ -n "$lock" ]; then flock -u 9; exec 9>&-; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$tcp" "$cpu" \
    "$(awk -v p="$full_pps" 'BEGIN{printf "%.1f", p / 1000}')" "$full_loss" \
    "$(awk -v p="$z64" 'BEGIN{printf "%.1f", p / 1000}')" "$(awk -v p="$z1400" 'BEGIN{printf "%.1f", p / 1000}')" \
    "$(echo "$lat" | tr ' ' '\t')" "$rr" >>"$results"
  log "$c round $r: TCP $(printf '%.2f' "$tcp") Gbit/s (switch CPU ${cpu}%); UDP 64 B at <=0.1% loss $((z64 / 1000)) kpkt/s, 1400 B $((z1400 / 1000)) kpkt/s (flat out: $(printf '%.0f' "$full_pps") pkt/s, $(printf '%.1f' "$full_loss")% lost); ping p50/p99/max $(echo "$lat" | awk '{print $1 "/" $2 "/" $3}') us idle, $(echo "$lat" | awk '{print $4 "/" $5}') us loaded; TCP RR $rr/s"
}
