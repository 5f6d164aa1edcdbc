#!/usr/bin/env bash
# Runs the pipeline throughput benchmark — the direct-call pipeline and the Disruptor ring side by
# side, in one JMH run, with -prof gc — and prints Mpps, ns/packet, B/op and their ratio.
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
  "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar 'PodToPodThroughputBenchmark' \
    -wi 2 -i 3 -f 1 -prof gc -rf json -rff "$out" "$@"
fi
python3 - "$out" <<'PY'
import json, sys
rows = {}
for r in json.load(open(sys.argv[1])):
    if "PodToPodThroughputBenchmark" not in r["benchmark"]:
        continue
    p = r["params"]
    key = (int(p["frameBytes"]), int(p["flows"]), p["policy"], int(p["nodes"]))
    mech = r["benchmark"].rsplit(".", 1)[1]
    norm = r["secondaryMetrics"].get("gc.alloc.rate.norm", {}).get("score", float("nan"))
    rows.setdefault(key, {})[mech] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], norm)
print("| frame B | flows | policy | nodes | direct Mpps | ring Mpps | ring ns/pkt | direct/ring | B/op (direct, ring) |")
print("|---:|---:|:---:|---:|---:|---:|---:|---:|---:|")
for (size, flows, policy, nodes), s in sorted(rows.items(), key=lambda kv: (kv[0][3], kv[0][0], kv[0][1], kv[0][2] != "on")):
    if "direct" in s and "ring" in s:
        (d, de, dn), (g, ge, gn) = s["direct"], s["ring"]
        print("| %d | %s | %s | %d | %.2f ± %.2f | %.2f ± %.2f | %.0f | %.2f× | %.3f, %.3f |" % (
            size, format(flows, ","), policy, nodes, d / 1e6, de / 1e6, g / 1e6, ge / 1e6, 1e9 / g, d / g, dn, gn))
PY
