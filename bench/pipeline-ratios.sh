#!/usr/bin/env bash
# Runs the pipeline throughput benchmark — the direct-call pipeline and the Disruptor ring side by
# side, with the ring alone (RingOnlyBenchmark: claim, copy, publish, drain, nothing else) as the
# limit, in one JMH run with -prof gc — and prints Mpps, ns/packet, B/op and the ratios: direct over
# ring, and the whole pipeline (ring) over the ring alone (issue 14's target: at least 0.5×).
# Usage: bench/pipeline-ratios.sh [extra JMH options, e.g. -p flows=1000 -p nodes=1]
#        bench/pipeline-ratios.sh --from results.json   (format an earlier run's JSON only)
# On a shared machine run it under the benchmark lock: flock /tmp/podswitch-bench.lock bench/pipeline-ratios.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [ "${1:-}" = "--from" ]; then
  out="$2"
else
  [ -f bench/target/benchmarks.jar ] || ./mvnw -q -pl bench -am clean package -DskipTests
  out="$(mktemp -t podswitch-pipeline-bench.XXXXXX.json)"
  "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar 'PodToPodThroughputBenchmark|RingOnlyBenchmark' \
    -wi 2 -i 3 -f 1 -prof gc -rf json -rff "$out" "$@"
fi
python3 - "$out" <<'PY'
import json, sys
rows = {}
alone = {}
for r in json.load(open(sys.argv[1])):
    p = r["params"]
    norm = r["secondaryMetrics"].get("gc.alloc.rate.norm", {}).get("score", float("nan"))
    if "RingOnlyBenchmark" in r["benchmark"]:
        alone[int(p["frameBytes"])] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], norm)
        continue
    if "PodToPodThroughputBenchmark" not in r["benchmark"]:
        continue
    key = (int(p["frameBytes"]), int(p["flows"]), p["policy"], int(p["nodes"]))
    mech = r["benchmark"].rsplit(".", 1)[1]
    rows.setdefault(key, {})[mech] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], norm)
if alone:
    print("| frame B | ring alone Mpps | ns/pkt | B/op |")
    print("|---:|---:|---:|---:|")
    for size, (a, ae, an) in sorted(alone.items()):
        print("| %d | %.2f ± %.2f | %.1f | %.3f |" % (size, a / 1e6, ae / 1e6, 1e9 / a, an))
    print()
print("| frame B | flows | policy | nodes | direct Mpps | ring Mpps | ring ns/pkt | direct/ring | ring / ring alone | B/op (direct, ring) |")
print("|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|")
for (size, flows, policy, nodes), s in sorted(rows.items(), key=lambda kv: (kv[0][3], kv[0][0], kv[0][1], kv[0][2] != "on")):
    if "direct" in s and "ring" in s:
        (d, de, dn), (g, ge, gn) = s["direct"], s["ring"]
        limit = "%.2f×" % (g / alone[size][0]) if size in alone else "–"
        print("| %d | %s | %s | %d | %.2f ± %.2f | %.2f ± %.2f | %.0f | %.2f× | %s | %.3f, %.3f |" % (
            size, format(flows, ","), policy, nodes, d / 1e6, de / 1e6, g / 1e6, ge / 1e6, 1e9 / g, d / g, limit, dn, gn))
PY
