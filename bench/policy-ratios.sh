#!/usr/bin/env bash
# Runs the compiled classifier and the reference evaluator side by side in one JMH run, on the
# same synthetic clusters, and prints their ratio: the compiler's speed-up where it matters.
# Usage: bench/policy-ratios.sh [extra JMH options, e.g. -p pods=1000 -p policies=1000 -i 10]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -f bench/target/benchmarks.jar ] || ./mvnw -q -pl bench -am clean package -DskipTests
out="$(mktemp -t podswitch-policy-bench.XXXXXX.json)"
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar 'Policy(Compiled|Reference)DecisionBenchmark' \
  -p policies=10,1000,10000 -wi 2 -i 5 -f 1 -rf json -rff "$out" "$@"
python3 - "$out" <<'PY'
import json, sys
scores = {}
for result in json.load(open(sys.argv[1])):
    key = (int(result["params"]["pods"]), int(result["params"]["policies"]))
    kind = "compiled" if "Compiled" in result["benchmark"] else "reference"
    scores.setdefault(key, {})[kind] = (result["primaryMetric"]["score"], result["primaryMetric"]["scoreError"])
print("\n%6s %9s %22s %20s %9s" % ("pods", "policies", "compiled decisions/s", "reference decisions/s", "ratio"))
for (pods, policies), s in sorted(scores.items()):
    if "compiled" in s and "reference" in s:
        (c, ce), (r, re) = s["compiled"], s["reference"]
        print("%6d %9d %14.1fM ±%4.1fM %14.1fK ±%5.1fK %8.0fx" % (pods, policies, c / 1e6, ce / 1e6, r / 1e3, re / 1e3, c / r))
PY
