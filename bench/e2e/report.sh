# Sourced by bench/e2e.sh: the tables — medians over the rounds (min–max beside them), then every
# ratio against the kernel's own datapath (the bridge on one node, kernel vxlan on two) and
# against the C forwarder, the plain-syscall limit of any userspace TAP switch.

# results.tsv columns
COL_TCP=3; COL_CPU=4; COL_FULL=5; COL_FULL_LOSS=6; COL_Z64=7; COL_Z1400=8
COL_P50=9; COL_P99=10; COL_MAX=11; COL_LP50=12; COL_LP99=13; COL_LMAX=14; COL_RR=15

declare -A label=([ps-1node]="podswitch, one node" [br-1node]="Linux bridge + veth" [c-1node]="C TAP forwarder (tapfwd -v)"
  [ovs-1node]="OVS netdev" [ovstso-1node]="OVS netdev + userspace TSO" [ps-2node]="podswitch, two nodes"
  [vx-2node]="kernel vxlan + bridges, two nodes")

median() { # case column -> median (nan when none)
  awk -F'\t' -v c="$1" -v k="$2" '$1==c && $k!="-" && $k!="nan" && $k!=""{print $k}' "$results" | sort -g |
    awk '{v[NR]=$1} END{if (NR == 0) {print "nan"; exit} print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}
cell() { # case column decimals -> "median (min–max)" or "median" for one round
  awk -F'\t' -v c="$1" -v k="$2" '$1==c && $k!="-" && $k!="nan" && $k!=""{print $k}' "$results" | sort -g |
    awk -v d="$3" '{v[NR]=$1} END{if (NR == 0) {print "–"; exit}
      m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; f = "%." d "f"
      if (NR == 1) printf(f "\n", m); else printf(f " (" f "–" f ")\n", m, v[1], v[NR])}'
}
has_case() { local c; for c in "${cases[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }

print_tables() {
  local c
  echo
  echo "### Results: median (min–max) over $rounds round(s); $secs s per TCP, RR and flat-out UDP run"
  echo
  echo "| case | TCP Gbit/s | UDP 64 B kpkt/s at ≤0.1 % loss | UDP 1,400 B kpkt/s at ≤0.1 % loss | ping p50 / p99 / max µs | loaded ping p50 / p99 µs | TCP RR /s | switch CPU % (TCP) | UDP 64 B flat out: kpkt/s, loss % |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${cases[@]}"; do
    echo "| ${label[$c]} | $(cell "$c" $COL_TCP 2) | $(cell "$c" $COL_Z64 0) | $(cell "$c" $COL_Z1400 0) | $(cell "$c" $COL_P50 0) / $(cell "$c" $COL_P99 0) / $(cell "$c" $COL_MAX 0) | $(cell "$c" $COL_LP50 0) / $(cell "$c" $COL_LP99 0) | $(cell "$c" $COL_RR 0) | $(cell "$c" $COL_CPU 0) | $(cell "$c" $COL_FULL 0), $(cell "$c" $COL_FULL_LOSS 1) |"
  done
  echo
  echo "### Ratios (medians)"
  echo
  echo "| case / anchor | TCP | UDP 64 B ≤0.1 % | UDP 1,400 B ≤0.1 % | TCP RR | ping p50 added over the kernel | added ÷ the C forwarder's added |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  local kernel_one=br-1node kernel_two=vx-2node
  for c in "${cases[@]}"; do
    case "$c" in
      br-1node|vx-2node) ;;
      ps-2node) has_case "$kernel_two" && ratio_row "$c" "$kernel_two" ;;
      *) has_case "$kernel_one" && ratio_row "$c" "$kernel_one" ;;
    esac
  done
  if has_case c-1node; then
    for c in ps-1node ovs-1node ovstso-1node; do has_case "$c" && ratio_row "$c" c-1node; done
  fi
}

ratio_row() { # case anchor: ratios of throughputs, the latency the case adds over the kernel, and that as a multiple of the C forwarder's
  local kernel=$kernel_one
  [ "$1" = ps-2node ] && kernel=$kernel_two
  awk -v a="${label[$1]}" -v b="${label[$2]}" \
      -v t="$(median "$1" $COL_TCP)" -v tb="$(median "$2" $COL_TCP)" \
      -v u="$(median "$1" $COL_Z64)" -v ub="$(median "$2" $COL_Z64)" \
      -v w="$(median "$1" $COL_Z1400)" -v wb="$(median "$2" $COL_Z1400)" \
      -v r="$(median "$1" $COL_RR)" -v rb="$(median "$2" $COL_RR)" \
      -v p="$(median "$1" $COL_P50)" -v pk="$(median "$kernel" $COL_P50)" \
      -v pc="$(median c-1node $COL_P50)" -v pkc="$(median "$kernel_one" $COL_P50)" 'BEGIN{
    added = (p == "nan" || pk == "nan") ? "–" : sprintf("%+.0f µs", p - pk)
    cadded = (pc == "nan" || pkc == "nan") ? 0 : pc - pkc
    multiple = (added == "–" || cadded <= 0) ? "–" : sprintf("%.1f×", (p - pk) / cadded)
    printf "| %s / %s | %s | %s | %s | %s | %s | %s |\n", a, b, q(t, tb), q(u, ub), q(w, wb), q(r, rb), added, multiple}
    function q(x, y) { return (x == "nan" || y == "nan" || y <= 0) ? "–" : sprintf("%.2f×", x / y) }'
}
