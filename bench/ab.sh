#!/usr/bin/env bash
# Times two pipetracker builds (or any two commands) against each other on
# a shared machine: several hyperfine runs of the pair, in alternating
# order, and the median of each command over all of them.
#
# Usage: bench/ab.sh [--rounds 4] [--runs 15] [--warmup 2] A B -- ARGS...
#
#   A, B      the two executables (for example two builds of ./cmd/pipetracker)
#   ARGS      the arguments both get, for example
#             trace ID --source DIR/logs --no-follow --format json -o /dev/null
#
# Other tenants move the machine's speed by a tenth or more within
# minutes, more than most changes do; alternating the order and pooling the
# runs keeps a slow minute from landing on one side only. It prints each
# round's medians and, at the end, the pooled medians and their ratio B/A,
# and the mean CPU time (user+system) of each. Needs hyperfine and jq.
set -euo pipefail

rounds=4 runs=15 warmup=2
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=${2:?}; shift 2 ;;
	--runs) runs=${2:?}; shift 2 ;;
	--warmup) warmup=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] && [ "$3" = "--" ] || { echo "usage: bench/ab.sh [--rounds N] [--runs N] [--warmup N] A B -- ARGS..." >&2; exit 2; }
a=$1 b=$2
shift 3
for tool in hyperfine jq; do
	command -v "$tool" >/dev/null 2>&1 || { echo "ab.sh: $tool is missing" >&2; exit 2; }
done
quote() { printf '%q ' "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
	pair=(-n A "$(quote "$a" "$@")" -n B "$(quote "$b" "$@")")
	[ $((r % 2)) = 1 ] || pair=(-n B "$(quote "$b" "$@")" -n A "$(quote "$a" "$@")")
	hyperfine -N --style none --warmup "$warmup" --runs "$runs" --export-json "$tmp/$r.json" "${pair[@]}" >/dev/null
	jq -r '.results[] | "round '"$r"' \(.command) median \(.median * 1000 | floor) ms"' "$tmp/$r.json"
done
jq -s -r '
	[.[].results[]] | group_by(.command) | map({c: .[0].command, t: ([.[].times[]] | sort), cpu: ([.[] | .user + .system] | add / length)})
	| map(. + {m: (.t | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end)})
	| (.[] | "\(.c): median \(.m * 1000 * 10 | round / 10) ms over \(.t | length) runs, CPU \(.cpu * 1000 | round) ms"),
	  "B/A: \((.[1].m / .[0].m) * 1000 | round / 1000)"' "$tmp"/*.json
