#!/usr/bin/env bash
# Times a trace over VictoriaLogs holding millions of records against the
# same trace over the same records as local files.
#
# Usage: bench/victorialogs.sh [--size 1GB] [--dir DIR] [--runs 10] [--port 19428]
#
#   --size SIZE   corpus size, uncompressed (default 1GB: about 5.2 million records)
#   --dir DIR     where the corpus, the store's data and the results live
#                 (default bench/out/vl-SIZE); what is already there is reused
#   --runs N      hyperfine runs per command (default 10)
#   --port PORT   the port VictoriaLogs listens on, on 127.0.0.1 (default 19428)
#
# It builds ./cmd/pipetracker, ./bench/gen and ./bench/vlload, writes a
# plain corpus with bench/gen, starts victoria-logs (the binary named by
# PIPETRACKER_TEST_VICTORIALOGS_BIN, else the one .ci/run builds in
# ~/.cache/pipetracker/victoria-logs-v1.52.1, else victoria-logs in PATH),
# loads every record into it with bench/vlload (one row per record: its
# text, time, service, path and line), waits for the store's merges, then:
#   1. checks that each known trace gives the same events from the store as
#      from the files, and as many as the manifest lists;
#   2. times `pipetracker trace ID` over the store and over the files with
#      hyperfine (the whole process, following links);
#   3. runs BenchmarkTrace (internal/source/victorialogs), which traces each
#      known id in-process and counts the bytes the client moved on the wire.
# Results go to DIR/results/. The server is stopped at the end; its data is
# kept for the next run.
#
# It installs nothing; on Debian: apt-get install -y hyperfine jq.
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() {
	echo "victorialogs.sh: $*" >&2
	exit 1
}

size=1GB
dir=""
runs=10
port=19428
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=${2:?--size needs a value}; shift 2 ;;
	--dir) dir=${2:?--dir needs a value}; shift 2 ;;
	--runs) runs=${2:?--runs needs a value}; shift 2 ;;
	--port) port=${2:?--port needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
root=$(pwd)
if ! command -v go >/dev/null 2>&1; then
	export PATH="$PATH:/usr/local/go/bin"
fi
for tool in hyperfine jq curl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "victorialogs.sh: $tool is missing (apt-get install -y hyperfine jq curl)" >&2; exit 2; }
done
vl=${PIPETRACKER_TEST_VICTORIALOGS_BIN:-}
if [ -z "$vl" ]; then
	vl="${XDG_CACHE_HOME:-$HOME/.cache}/pipetracker/victoria-logs-v1.52.1/victoria-logs"
	[ -x "$vl" ] || vl=$(command -v victoria-logs || true)
fi
[ -n "$vl" ] && [ -x "$vl" ] || {
	echo "victorialogs.sh: victoria-logs not found: GOBIN=~/.cache/pipetracker/victoria-logs-v1.52.1 go install github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.1" >&2
	exit 2
}

dir=${dir:-bench/out/vl-$size}
mkdir -p "$dir/bin" "$dir/results"
dir=$(cd "$dir" && pwd)
bin=$dir/bin
echo "== build"
go build -o "$bin/pipetracker" ./cmd/pipetracker
go build -o "$bin/gen" ./bench/gen
go build -o "$bin/vlload" ./bench/vlload

corpus=$dir/corpus
if [ ! -f "$corpus/manifest.json" ]; then
	echo "== corpus ($size, plain)"
	rm -rf "$corpus"
	"$bin/gen" --out "$corpus" --size "$size" --plain
fi
records=$(jq .records "$corpus/manifest.json")
keys=$(jq -r '.match_keys | map("-k " + .) | join(" ")' "$corpus/manifest.json")
mapfile -t ids < <(jq -r '.traces[].id' "$corpus/manifest.json")

echo "== victoria-logs on 127.0.0.1:$port ($vl)"
url=http://127.0.0.1:$port
if curl -sf "$url/health" >/dev/null 2>&1; then
	die "something already listens on port $port: stop it or pass --port"
fi
"$vl" -httpListenAddr="127.0.0.1:$port" -storageDataPath="$dir/vl-data" -retentionPeriod=100y -loggerLevel=WARN \
	>"$dir/results/victoria-logs.log" 2>&1 &
vl_pid=$!
trap 'kill "$vl_pid" 2>/dev/null; wait "$vl_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
	curl -sf "$url/health" >/dev/null 2>&1 && break
	kill -0 "$vl_pid" 2>/dev/null || die "victoria-logs exited: $(tail -5 "$dir/results/victoria-logs.log")"
	sleep 0.1
done
count() {
	curl -s "$url/select/logsql/query" --data-urlencode 'query=* | stats count() as n' | jq -r '.n // "0"'
}
if [ "$(count)" != "$records" ]; then
	echo "== load $records records"
	[ "$(count)" = "0" ] || die "the store in $dir/vl-data holds other records: remove it"
	"$bin/vlload" --dir "$corpus/logs" --url "$url" | tee "$dir/results/load.txt"
	curl -sf "$url/internal/force_flush" >/dev/null
	[ "$(count)" = "$records" ] || die "the store holds $(count) records, the corpus $records"
fi
echo "== wait for the store's merges"
for _ in $(seq 1 600); do
	active=$(curl -s "$url/metrics" | awk '/^vl_active_merges/ {s += $2} END {print s + 0}')
	[ "$active" = "0" ] && break
	sleep 1
done
du -sh "$dir/vl-data" | awk '{print "store on disk: " $1}' | tee "$dir/results/disk.txt"
du -sh "$corpus/logs" | awk '{print "files on disk: " $1}' | tee -a "$dir/results/disk.txt"

store="victorialogs://127.0.0.1:$port?path_field=path&line_field=line"
window="--since 2025-10-20T00:00:00Z --until 2025-10-23T00:00:00Z"
echo "== same answer from the store and the files"
for id in "${ids[@]}"; do
	# shellcheck disable=SC2086
	"$bin/pipetracker" trace "$id" $keys -s "$store" $window --format json >"$dir/results/$id.store.json"
	# shellcheck disable=SC2086
	"$bin/pipetracker" trace "$id" $keys -s "$corpus/logs" --format json >"$dir/results/$id.files.json"
	shape='[.events[] | [.time, .service, .level, .origin.path, .origin.line, .matched.key, .matched.value]]'
	a=$(jq -c "$shape" "$dir/results/$id.store.json")
	b=$(jq -c "$shape" "$dir/results/$id.files.json")
	want=$(jq --arg id "$id" '.traces[] | select(.id == $id) | .follow | length' "$corpus/manifest.json")
	got=$(jq '.events | length' "$dir/results/$id.store.json")
	[ "$a" = "$b" ] || die "$id: the store and the files disagree (see $dir/results/$id.*.json)"
	[ "$got" = "$want" ] || die "$id: $got events, the manifest lists $want"
	echo "$id: $got events, identical"
done

echo "== hyperfine: store vs files (${ids[0]}, following links)"
hyperfine --runs "$runs" --warmup 2 --export-json "$dir/results/hyperfine.json" \
	-n store "$bin/pipetracker trace ${ids[0]} $keys -s '$store' $window --format json" \
	-n files "$bin/pipetracker trace ${ids[0]} $keys -s $corpus/logs --format json"

echo "== in-process traces and bytes on the wire (BenchmarkTrace)"
PIPETRACKER_BENCH_VICTORIALOGS_URL=$url PIPETRACKER_BENCH_MANIFEST=$corpus/manifest.json \
	go test -run '^$' -bench BenchmarkTrace -benchtime "$((runs * ${#ids[@]}))x" -count 3 ./internal/source/victorialogs |
	tee "$dir/results/benchmark.txt"

echo "== summary"
jq -r '.results[] | "\(.command): mean \(.mean * 1000 | floor) ms, median \(.median * 1000 | floor) ms, min \(.min * 1000 | floor) ms"' "$dir/results/hyperfine.json"
awk '/^BenchmarkTrace/ {printf "in-process trace: %.0f ms, %d bytes on the wire\n", $3 / 1e6, $5}' "$dir/results/benchmark.txt"
echo "records: $records; results in $dir/results (root $root)"
