#!/usr/bin/env bash
# Shows that the controls of a trace cost no speed: max_files and
# max_size_mb, the progress line, and Ctrl-C.
#
# Usage: bench/controls.sh [--dir DIR] [--bin PATH] [--runs 10]
#
#   --dir DIR   the corpora of bench/compare.sh (default bench/out/1GB): the
#               plain one is traced, the gzip one cancelled
#   --bin PATH  measure this pipetracker binary instead of building one
#   --runs N    hyperfine runs per command (default 10)
#
# It prints, for a trace of the corpus's first known id:
#   1. the whole corpus, --max-files 12 and --max-size-mb 30: wall time,
#      bytes searched and their rate once the start-up of the program
#      (the time of "pipetracker version") is taken off, which must stay
#      about the same;
#   2. with stderr on a terminal (through script(1)) the progress line is
#      drawn: wall time of a trace of the gzip corpus with and without it
#      (--quiet), and the line itself;
#   3. Ctrl-C (SIGINT) sent 300 ms into a trace of the gzip corpus and of
#      the plain one read from standard input: the time from the signal to
#      the exit, the exit status, and whether a temporary file was left.
#
# Needs hyperfine, jq and script (Debian: hyperfine, jq, bsdutils).
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() {
	echo "controls.sh: $*" >&2
	exit 1
}

repo=$(cd "$(dirname "$0")/.." && pwd)
dir="$repo/bench/out/1GB"
bin=""
runs=10
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) dir=${2:?--dir needs a value}; shift 2 ;;
	--bin) bin=${2:?--bin needs a value}; shift 2 ;;
	--runs) runs=${2:?--runs needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "controls.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
done
for tool in hyperfine jq script; do
	command -v "$tool" >/dev/null 2>&1 || { echo "controls.sh: $tool is missing" >&2; exit 2; }
done
if ! command -v go >/dev/null 2>&1; then
	PATH="$PATH:/usr/local/go/bin"
fi
plain="$dir/plain/logs"
gz="$dir/gzip/logs"
[ -d "$plain" ] && [ -d "$gz" ] || die "no corpora in $dir: run bench/compare.sh first (or give --dir)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$bin" ]; then
	pt=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
else
	(cd "$repo" && go build -o "$tmp/pipetracker" ./cmd/pipetracker) || die "cannot build ./cmd/pipetracker"
	pt="$tmp/pipetracker"
fi
id=$(jq -r '.traces[0].id' "$dir/plain/manifest.json")
mapfile -t keys < <(jq -r '.match_keys[]' "$dir/plain/manifest.json")
keyflags=()
for k in "${keys[@]}"; do keyflags+=(-k "$k"); done
find "$plain" "$gz" -type f -exec cat {} + >/dev/null

echo "pipetracker controls, $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "== 1. limits: the same rate with fewer files"
hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$tmp/v.json" "$pt version" >/dev/null 2>&1 ||
	die "hyperfine failed on $pt version"
startup=$(jq '.results[0].mean' "$tmp/v.json")
awk -v s="$startup" 'BEGIN{printf "start-up (pipetracker version): %.1f ms\n", s*1000}'
printf '%-16s %10s %10s %14s\n' limit "mean" "searched" "rate after start-up"
for limit in "" "--max-files 12" "--max-size-mb 30"; do
	# shellcheck disable=SC2086 # the limit is two words
	"$pt" trace "$id" -s "$plain" "${keyflags[@]}" --no-follow $limit --format json -o "$tmp/r.json" 2>/dev/null || true
	bytes=$(jq '.summary.bytes_scanned' "$tmp/r.json")
	# A trace limited to the newest files may find nothing (exit status 1).
	hyperfine -N -i --style none --warmup 2 --runs "$runs" --export-json "$tmp/h.json" \
		"$pt trace $id -s $plain ${keyflags[*]} --no-follow $limit --format json -o /dev/null" >/dev/null 2>&1 || true
	mean=$(jq '.results[0].mean' "$tmp/h.json")
	awk -v l="${limit:-none}" -v m="$mean" -v b="$bytes" -v s="$startup" 'BEGIN{printf "%-16s %8.1f ms %7.0f MB %8.1f GB/s\n", l, m*1000, b/1e6, b/(m-s)/1e9}'
done
echo

echo "== 2. the progress line (stderr on a terminal through script(1))"
cmd="$pt trace $id -s $gz ${keyflags[*]} --format json -o /dev/null"
hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$tmp/p.json" \
	"script -qfec '$cmd' /dev/null" "script -qfec '$cmd --quiet' /dev/null" >/dev/null 2>&1 ||
	die "hyperfine failed on the progress runs"
jq -r '.results[] | "\(.mean*1000 | floor) ms  \(.command)"' "$tmp/p.json" | sed 's#'"$pt"'#pipetracker#; s#'"$gz"'#GZIP#'
script -qfec "$cmd" /dev/null >"$tmp/tty.txt" 2>&1 || true
echo "drawn: $(tr '\r' '\n' <"$tmp/tty.txt" | grep -a scanning | tail -1 | sed 's/\x1b\[K//g')"
echo "cleared at the end: $(tail -c 4 "$tmp/tty.txt" | od -An -c | tr -s ' ')"
echo

echo "== 3. Ctrl-C 300 ms into a trace"
set -m # background jobs keep the default reaction to SIGINT
cancel() {
	local label=$1
	shift
	local spool="$tmp/spool-$label"
	mkdir -p "$spool"
	local lat=()
	for _ in 1 2 3 4 5; do
		TMPDIR="$spool" "$@" >/dev/null 2>"$tmp/err" &
		local pid=$!
		sleep 0.3
		local t0 t1 rc=0
		t0=$(date +%s%N)
		kill -INT -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || rc=$?
		t1=$(date +%s%N)
		lat+=("$(((t1 - t0) / 1000000))")
	done
	local left
	left=$(find "$spool" -mindepth 1 | wc -l)
	echo "$label: exit status $rc, signal to exit ${lat[*]} ms, temporary files left: $left ($(head -c 80 "$tmp/err" | tr -d '\n'))"
}
cancel "gzip, follow" "$pt" trace "$id" -s "$gz" "${keyflags[@]}" --format json -o "$tmp/out.json"
cancel "stdin (spooled)" bash -c "find '$plain' -type f -exec cat {} + | '$pt' trace '$id' -s - ${keyflags[*]} --format json -o '$tmp/out.json'"
