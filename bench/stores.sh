#!/usr/bin/env bash
# Object store figures: the time to scan 200 objects behind 20 ms of
# latency a request with concurrency 1 and 8, and how far the heap rises
# while scanning few or many, small or large objects. The stores are the
# in-process S3 and Cloud Storage servers of the drivers' tests, driven
# through the real SDKs; a proxy adds the latency.
#
#   bench/stores.sh              # 3 runs of each figure
#   COUNT=1 bench/stores.sh      # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-3}
if ! command -v go >/dev/null; then
	export PATH=$PATH:/usr/local/go/bin
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test -run '^$' -bench 'Latency|Memory' -benchtime 1x -count "$count" \
	./internal/source/s3/ ./internal/source/gcs/ | tee "$out"

echo
awk '
	/^pkg:/ { pkg = $2; sub(/.*\//, "", pkg) }
	/^BenchmarkLatency\/concurrency=/ {
		split($1, a, "=");
		c = a[2]; sub(/-[0-9]+$/, "", c);
		ns = $3 + 0;
		key = pkg SUBSEP c;
		if (!(key in best) || ns < best[key]) best[key] = ns;
		pkgs[pkg] = 1;
	}
	/^BenchmarkMemory\// {
		name = $1; sub(/^BenchmarkMemory\//, "", name); sub(/-[0-9]+$/, "", name);
		for (i = 1; i <= NF; i++) if ($(i+1) == "peak-heap-MiB") v = $i + 0;
		key = pkg SUBSEP name;
		if (!(key in heap) || v > heap[key]) heap[key] = v;
		names[pkg, ++n[pkg]] = name;
	}
	END {
		for (p in pkgs) {
			one = best[p, "1"]; eight = best[p, "8"];
			printf "%s: 200 objects, 20 ms a request: concurrency 1 %.2f s, concurrency 8 %.2f s, ratio %.3f (at most 0.25 required)\n",
				p, one / 1e9, eight / 1e9, eight / one;
			for (i = 1; i <= n[p]; i++) {
				nm = names[p, i];
				if (seen[p, nm]++) continue;
				printf "%s: %s: heap rose by %.1f MiB at most\n", p, nm, heap[p, nm];
			}
		}
	}' "$out"
