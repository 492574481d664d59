#!/usr/bin/env bash
# Times pipetracker against ripgrep on a generated corpus.
#
# Usage: bench/compare.sh [--size 1GB] [--dir DIR] [--runs 10] [--warmup 2]
#                         [--bin PATH] [--skip-double] [--keep-cache|--small-pages]
#                         [--strict]
#
#   --size SIZE     corpus size, uncompressed (default 1GB)
#   --dir DIR       where the corpora live (default bench/out/SIZE); a corpus
#                   already there with the same size is reused
#   --runs N        hyperfine runs per command (default 10)
#   --warmup N      hyperfine warm-up runs per command (default 2)
#   --bin PATH      time this pipetracker binary instead of building one
#   --skip-double   do not measure peak memory on a corpus of twice the size
#   --keep-cache    warm the page cache without first dropping the corpus
#                   from it (see below)
#   --small-pages   drop the corpus and read it back 4 KiB at a time with
#                   random-access advice, so that the kernel holds it in
#                   small pieces: the slow state (needs python3)
#   --strict        exit 1 when a target is missed
#
# It builds ./cmd/pipetracker and ./bench/gen, writes DIR/plain (every file
# plain) and DIR/gzip (the same records, every file gzip-compressed) with a
# hot id in 1 % of the records, puts the corpus in the page cache in a
# known state (see "Page cache" below), checks that each
# pipetracker command finds exactly the events the manifest lists, then
# times with hyperfine, each pair in one run:
#   1. rg -F -c ID PLAIN      vs  pipetracker trace ID --no-follow on PLAIN
#   2. rg -F -c ID PLAIN      vs  pipetracker trace ID (following links)
#   3. rg -z -F -c ID GZIP    vs  pipetracker trace ID --no-follow on GZIP
#   4. rg -z -F -c ID GZIP    vs  pipetracker trace ID on GZIP (following links)
#   5. rg -F -c TXN-HOT PLAIN vs  pipetracker trace TXN-HOT --no-follow
#   6. rg -F -c TXN-HOT PLAIN vs  the same with --no-redact (the engine's own
#      cost, without the redaction of every event that is on by default)
#   7. rg -F -c TXN-HOT PLAIN vs  bench/floor on TXN-HOT: the least work a
#      trace can do with the same scanner (keep the records, order them by
#      origin, write them as JSON strings; no parsing), a bound from below
#      for 5 (reported, not judged), and again with --parse (each record
#      parsed as a trace parses it, ordered by time)
#   8. the two hot-id commands against each other, in three runs of
#      alternating order: the share of the trace's time (and CPU time) that
#      redaction takes
# and prints the ratios of median wall times (pipetracker / rg; the median,
# because on a shared machine a run another tenant stalls can add half a
# second to one run of fifteen and move a mean by a third), the peak RSS
# of each pipetracker command (/usr/bin/time -v), and the peak RSS on a
# corpus of twice the size. Results go to DIR/results/.
#
# Page cache: Linux holds a file in pieces (folios) whose size depends on
# how the file came into the cache and what happened to it there since,
# and both rg and pipetracker search large pieces much faster than small
# ones: rg -F -c over the 1 GB corpus took about 104 ms in the state a
# corpus had reached after a day of use here, and 64-70 ms once dropped
# and read back, or just generated. So that runs compare whatever the
# corpus went through, the script drops it from the cache (dd
# iflag=nocache, after sync) and reads it back with cat: the state of logs
# read from disk. --keep-cache skips the drop; --small-pages reads it back
# in the small pieces of the slow state instead.
#
# It installs nothing; on Debian: apt-get install -y ripgrep hyperfine time jq
# (jq is optional: without it the event counts are not checked).
#
# Exit status: 0 done, 1 a build, the generator or pipetracker failed (or a
# target was missed under --strict), 2 usage or missing tools.
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() {
	echo "compare.sh: $*" >&2
	exit 1
}

size=1GB
dir=""
runs=10
warmup=2
double=1
keep_cache=0
small_pages=0
strict=0
bin=""
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=${2:?--size needs a value}; shift 2 ;;
	--size=*) size=${1#*=}; shift ;;
	--dir) dir=${2:?--dir needs a value}; shift 2 ;;
	--dir=*) dir=${1#*=}; shift ;;
	--runs) runs=${2:?--runs needs a value}; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--warmup) warmup=${2:?--warmup needs a value}; shift 2 ;;
	--warmup=*) warmup=${1#*=}; shift ;;
	--bin) bin=${2:?--bin needs a value}; shift 2 ;;
	--bin=*) bin=${1#*=}; shift ;;
	--skip-double) double=0; shift ;;
	--keep-cache) keep_cache=1; shift ;;
	--small-pages) small_pages=1; shift ;;
	--strict) strict=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "compare.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
done
if [ $keep_cache = 1 ] && [ $small_pages = 1 ]; then
	echo "compare.sh: --keep-cache and --small-pages exclude each other" >&2
	exit 2
fi
[ $small_pages = 0 ] || command -v python3 >/dev/null 2>&1 ||
	{ echo "compare.sh: --small-pages needs python3" >&2; exit 2; }
case "$runs$warmup" in
*[!0-9]*) echo "compare.sh: --runs and --warmup take whole numbers" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$dir" ] || dir="$repo/bench/out/$size"

# Tools. A shell started without the login profile may lack Go on PATH.
if ! command -v go >/dev/null 2>&1; then
	PATH="$PATH:/usr/local/go/bin"
fi
missing=()
command -v go >/dev/null 2>&1 || missing+=("go (https://go.dev/dl/)")
command -v rg >/dev/null 2>&1 || missing+=("rg (Debian package ripgrep)")
command -v hyperfine >/dev/null 2>&1 || missing+=("hyperfine (Debian package hyperfine)")
[ -x /usr/bin/time ] || missing+=("/usr/bin/time (Debian package time)")
if [ ${#missing[@]} -gt 0 ]; then
	echo "compare.sh: missing tools:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	echo "  on Debian or Ubuntu: apt-get install -y ripgrep hyperfine time" >&2
	exit 2
fi
have_jq=0
if command -v jq >/dev/null 2>&1; then
	have_jq=1
else
	echo "note: jq not found (Debian package jq): event counts will not be checked"
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
results="$dir/results"
mkdir -p "$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -n "$bin" ]; then
	[ -x "$bin" ] || die "--bin $bin is not an executable file"
	pt=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
else
	echo "building ./cmd/pipetracker"
	(cd "$repo" && go build -o "$tmp/pipetracker" ./cmd/pipetracker) ||
		die "cannot build ./cmd/pipetracker"
	pt="$tmp/pipetracker"
fi
echo "building ./bench/floor and ./bench/gen"
(cd "$repo" && go build -o "$tmp/floor" ./bench/floor) ||
	die "cannot build ./bench/floor"
(cd "$repo" && go build -o "$tmp/gen" ./bench/gen) ||
	die "cannot build ./bench/gen"

# corpus NAME SIZE GEN-FLAGS… writes DIR/NAME unless it already holds a
# corpus made with the same arguments.
corpus() {
	local name=$1 csize=$2
	shift 2
	local out="$dir/$name" args="--size $csize --hot 0.01 --seed 1 $*"
	if [ -f "$out/manifest.json" ] && [ "$(cat "$dir/$name.args" 2>/dev/null)" = "$args" ]; then
		echo "reusing $out"
		return
	fi
	if [ -e "$out" ]; then
		die "$out holds something else: remove it or choose another --dir"
	fi
	echo "generating $out ($args)"
	# shellcheck disable=SC2086 # args are words by design
	"$tmp/gen" --out "$out" $args || die "the generator failed for $out"
	echo "$args" >"$dir/$name.args"
}

corpus plain "$size" --plain
corpus gzip "$size" --gzip
plain="$dir/plain/logs"
gz="$dir/gzip/logs"
manifest="$dir/plain/manifest.json"

if [ $have_jq = 1 ]; then
	id=$(jq -r '.traces[0].id' "$manifest")
	hot=$(jq -r '.hot.id' "$manifest")
	mapfile -t keys < <(jq -r '.match_keys[]' "$manifest")
else
	id=$(grep -m1 -o '"id": "TXN-9[0-9]*"' "$manifest" | cut -d'"' -f4)
	hot=TXN-HOT
	keys=(transaction_id request_id payment_id)
fi
[ -n "$id" ] || die "no known id in $manifest"
keyflags=()
for k in "${keys[@]}"; do keyflags+=(-k "$k"); done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# cache_by_reading DIR… puts the files under each DIR in the page cache
# as reading them from disk does (see "Page cache" above).
# It sets huge_mib to how much of what it read the kernel holds in 2 MiB
# pieces (the growth of FileHugePages; other activity can blur it).
cache_by_reading() {
	if [ "$keep_cache" = 0 ]; then
		sync
		find -H "$@" -type f -print0 | while IFS= read -r -d '' f; do
			dd if="$f" iflag=nocache count=0 status=none
		done
	fi
	local before
	before=$(filehuge)
	if [ "$small_pages" = 1 ]; then
		# Without readahead, every page comes in on its own.
		find -H "$@" -type f -print0 | python3 -c '
import os, sys
for p in sys.stdin.buffer.read().split(b"\0"):
    if not p:
        continue
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    while os.read(fd, 4096):
        pass
    os.close(fd)
'
	else
		find -H "$@" -type f -exec cat {} + >/dev/null
	fi
	huge_mib=$((($(filehuge) - before) / 1024))
}

# filehuge prints FileHugePages of /proc/meminfo in KiB (0 when absent).
filehuge() {
	awk '/^FileHugePages:/ {print $2; f=1} END {if (!f) print 0}' /proc/meminfo 2>/dev/null || echo 0
}

if [ "$small_pages" = 1 ]; then
	cache_state="dropped, then read back 4 KiB at a time"
	echo "page cache: dropping the corpus and reading it back in small pieces"
elif [ "$keep_cache" = 0 ]; then
	cache_state="dropped, then read back with cat"
	echo "page cache: dropping the corpus and reading it back"
else
	cache_state="as found, read with cat"
	echo "warming the page cache"
fi
cache_by_reading "$dir/plain" "$dir/gzip"
cache_state="$cache_state; $huge_mib MiB of the corpus ($(du -sLm "$dir/plain/logs" "$dir/gzip/logs" | awk '{m+=$1} END {print m}') MiB) in 2 MiB pieces"

# trace_args ID LOC [MORE…] prints the pipetracker arguments, one per line.
trace_args() {
	local tid=$1 loc=$2
	shift 2
	printf '%s\n' trace "$tid" --source "$loc" "${keyflags[@]}" "$@" --format json -o /dev/null
}

# check LABEL WANT PIPETRACKER-ARGS… runs pipetracker once, fails on a
# non-zero exit, and compares the number of events with WANT.
mismatches=0
check() {
	local label=$1 want=$2
	shift 2
	local args=("$@") rc=0
	args[${#args[@]} - 1]="$tmp/check.json"
	"$pt" "${args[@]}" 2>"$tmp/check.err" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "compare.sh: pipetracker failed ($label), exit status $rc:" >&2
		echo "  $pt ${args[*]}" >&2
		sed 's/^/  /' "$tmp/check.err" >&2
		exit 1
	fi
	if [ $have_jq = 1 ]; then
		local got
		got=$(jq '.events | length' "$tmp/check.json")
		if [ "$got" = "$want" ]; then
			echo "  $label: $got events, as the manifest says"
		else
			echo "  $label: $got events, the manifest says $want  <-- MISMATCH"
			mismatches=$((mismatches + 1))
		fi
	fi
}

# shell_words ARGS… quotes each argument for hyperfine's command line.
shell_words() { printf '%q ' "$@"; }

# bench NAME RG-COMMAND PIPETRACKER-COMMAND times both and prints a row.
rows=()
bench() {
	local name=$1 rgcmd=$2 ptcmd=$3
	echo
	echo "== $name"
	hyperfine -N --style basic --warmup "$warmup" --runs "$runs" \
		--export-json "$results/$name.json" --export-csv "$tmp/$name.csv" \
		-n rg "$rgcmd" -n pipetracker "$ptcmd" ||
		die "hyperfine failed on $name (a command exited non-zero)"
	# hyperfine's CSV: command,mean,stddev,median,user,system,min,max
	rows+=("$(awk -F, -v n="$name" 'NR==2{rg=$4} NR==3{p=$4} END{printf "%s %.3f %.3f %.2f", n, rg, p, p/rg}' "$tmp/$name.csv")")
}

# rss PIPETRACKER-ARGS… prints the peak RSS of one run in MiB.
rss() {
	/usr/bin/time -v -o "$tmp/time.txt" "$pt" "$@" >/dev/null 2>"$tmp/rss.err" ||
		{ sed 's/^/  /' "$tmp/rss.err" >&2; die "pipetracker failed under /usr/bin/time: $*"; }
	awk -F: '/Maximum resident set size/{printf "%.1f", $2/1024}' "$tmp/time.txt"
}

mapfile -t a_nofollow < <(trace_args "$id" "$plain" --no-follow)
mapfile -t a_follow < <(trace_args "$id" "$plain")
mapfile -t a_gzip < <(trace_args "$id" "$gz" --no-follow)
mapfile -t a_gzip_follow < <(trace_args "$id" "$gz")
mapfile -t a_hot < <(trace_args "$hot" "$plain" --no-follow)
mapfile -t a_hot_noredact < <(trace_args "$hot" "$plain" --no-follow --no-redact)

echo
echo "checking pipetracker's answers against $manifest"
if [ $have_jq = 1 ]; then
	check "plain, no-follow" "$(jq '.traces[0].no_follow | length' "$manifest")" "${a_nofollow[@]}"
	check "plain, follow" "$(jq '.traces[0].follow | length' "$manifest")" "${a_follow[@]}"
	check "gzip, no-follow" "$(jq '.traces[0].no_follow | length' "$manifest")" "${a_gzip[@]}"
	check "gzip, follow" "$(jq '.traces[0].follow | length' "$manifest")" "${a_gzip_follow[@]}"
	check "hot id, no-follow" "$(jq '.hot.records' "$manifest")" "${a_hot[@]}"
	check "hot id, no-follow, no-redact" "$(jq '.hot.records' "$manifest")" "${a_hot_noredact[@]}"
else
	check "plain, no-follow" "" "${a_nofollow[@]}"
	check "plain, follow" "" "${a_follow[@]}"
	check "gzip, no-follow" "" "${a_gzip[@]}"
	check "gzip, follow" "" "${a_gzip_follow[@]}"
	check "hot id, no-follow" "" "${a_hot[@]}"
	check "hot id, no-follow, no-redact" "" "${a_hot_noredact[@]}"
fi

bench plain-nofollow "$(shell_words rg -F -c "$id" "$plain")" "$(shell_words "$pt" "${a_nofollow[@]}")"
bench plain-follow "$(shell_words rg -F -c "$id" "$plain")" "$(shell_words "$pt" "${a_follow[@]}")"
bench gzip-nofollow "$(shell_words rg -z -F -c "$id" "$gz")" "$(shell_words "$pt" "${a_gzip[@]}")"
bench gzip-follow "$(shell_words rg -z -F -c "$id" "$gz")" "$(shell_words "$pt" "${a_gzip_follow[@]}")"
bench hot-nofollow "$(shell_words rg -F -c "$hot" "$plain")" "$(shell_words "$pt" "${a_hot[@]}")"
bench hot-noredact "$(shell_words rg -F -c "$hot" "$plain")" "$(shell_words "$pt" "${a_hot_noredact[@]}")"
bench hot-floor "$(shell_words rg -F -c "$hot" "$plain")" "$(shell_words "$tmp/floor" --source "$plain" --id "$hot")"
bench hot-floor-parse "$(shell_words rg -F -c "$hot" "$plain")" "$(shell_words "$tmp/floor" --source "$plain" --id "$hot" --parse)"

# The cost of redaction (on by default) on the hot id, whose 52,000 events
# make it the worst case. The difference is a few percent of the time, less
# than what other tenants move one hyperfine run by, so it is measured in
# three runs with the two commands in alternating order, and the medians
# (wall) and means of user+system time (CPU) of the runs are added up.
echo
echo "== redaction"
: >"$tmp/redaction.csv"
for round in 1 2 3; do
	off=(-n no-redact "$(shell_words "$pt" "${a_hot_noredact[@]}")")
	on=(-n redact "$(shell_words "$pt" "${a_hot[@]}")")
	if [ $((round % 2)) = 1 ]; then pair=("${off[@]}" "${on[@]}"); else pair=("${on[@]}" "${off[@]}"); fi
	hyperfine -N --style basic --warmup "$warmup" --runs "$runs" \
		--export-json "$results/redaction-$round.json" --export-csv "$tmp/redaction-$round.csv" "${pair[@]}" ||
		die "hyperfine failed on redaction (a command exited non-zero)"
	tail -n +2 "$tmp/redaction-$round.csv" >>"$tmp/redaction.csv"
done
# CSV columns: command,mean,stddev,median,user,system,min,max
redaction=$(awk -F, '$1=="redact"{r+=$4; rc+=$5+$6} $1=="no-redact"{n+=$4; nc+=$5+$6}
	END{printf "%.3f %.3f %.1f %.1f", n/3, r/3, 100*(r-n)/r, 100*(rc-nc)/rc}' "$tmp/redaction.csv")

echo
echo "measuring peak memory"
rss_nofollow=$(rss "${a_nofollow[@]}")
rss_follow=$(rss "${a_follow[@]}")
rss_gzip=$(rss "${a_gzip[@]}")
rss_gzip_follow=$(rss "${a_gzip_follow[@]}")
rss_hot=$(rss "${a_hot[@]}")
rss2_nofollow="" rss2_follow="" rss2_hot="" size2=""
if [ $double = 1 ]; then
	num=${size%%[!0-9.]*}
	size2="$(awk -v n="$num" 'BEGIN{print n*2}')${size#"$num"}"
	corpus plain-x2 "$size2" --plain
	cache_by_reading "$dir/plain-x2"
	id2=$(grep -m1 -o '"id": "TXN-9[0-9]*"' "$dir/plain-x2/manifest.json" | cut -d'"' -f4)
	mapfile -t b < <(trace_args "$id2" "$dir/plain-x2/logs" --no-follow)
	rss2_nofollow=$(rss "${b[@]}")
	mapfile -t b < <(trace_args "$id2" "$dir/plain-x2/logs")
	rss2_follow=$(rss "${b[@]}")
	mapfile -t b < <(trace_args "$hot" "$dir/plain-x2/logs" --no-follow)
	rss2_hot=$(rss "${b[@]}")
fi

# verdict VALUE LIMIT prints met or MISSED.
verdict() {
	if awk -v r="$1" -v l="$2" 'BEGIN{exit !(r <= l)}'; then
		echo met
	else
		echo MISSED
	fi
}

summary="$results/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
	echo "pipetracker vs ripgrep, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
	echo "load average before the runs: $load_before (other work on the machine inflates and scatters the times)"
	echo "tools: $(rg --version | head -1), $(hyperfine --version), $(go version | cut -d' ' -f3)"
	echo "commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "corpus: $size plain ($plain) and gzip ($gz), seed 1; id $id; hot id $hot"
	echo "hyperfine: --warmup $warmup --runs $runs, page cache warm ($cache_state)"
	echo
	printf '%-16s %10s %18s %8s %8s  %s\n' benchmark "rg median" "pipetracker median" ratio target verdict
	for row in "${rows[@]}"; do
		read -r name rgm ptm ratio <<<"$row"
		case $name in
		plain-nofollow) limit=1.0 note=" (aim 0.8)" ;;
		plain-follow) limit=2.0 note="" ;;
		gzip-nofollow) limit=0.5 note="" ;;
		gzip-follow) limit=0.5 note="" ;;
		hot-nofollow) limit=1.5 note="" ;;
		hot-noredact) limit=1.5 note=" (redaction off)" ;;
		hot-floor) limit=1.5 note=" (bench/floor: no parsing; a bound from below for hot-nofollow)" ;;
		hot-floor-parse) limit=1.5 note=" (bench/floor --parse: the same, each record parsed and ordered by time)" ;;
		esac
		v=$(verdict "$ratio" "$limit")
		case $name in hot-floor*) v=reported ;; esac
		printf '%-16s %9ss %17ss %7sx %7sx  %s%s\n' "$name" "$rgm" "$ptm" "$ratio" "$limit" "$v" "$note"
	done
	read -r red_off red_on red_share red_cpu <<<"$redaction"
	echo
	echo "redaction on the hot id (three alternated runs): ${red_on}s with, ${red_off}s without: $red_share % of the trace's time, target <= 10 %: $(verdict "$red_share" 10)"
	echo "  and $red_cpu % of its CPU time (user+system)"
	echo
	echo "peak RSS (MiB), target <= 128 and flat as the corpus grows for a rare id;"
	echo "a hot id's events are all kept, so its memory grows with their number (reported, not judged):"
	printf '  %-16s %8s %8s\n' command "$size" "${size2:-}"
	printf '  %-16s %8s %8s\n' plain-nofollow "$rss_nofollow" "$rss2_nofollow"
	printf '  %-16s %8s %8s\n' plain-follow "$rss_follow" "$rss2_follow"
	printf '  %-16s %8s\n' gzip-nofollow "$rss_gzip"
	printf '  %-16s %8s\n' gzip-follow "$rss_gzip_follow"
	printf '  %-16s %8s %8s\n' hot-nofollow "$rss_hot" "$rss2_hot"
	for r in "$rss_nofollow" "$rss_follow" "$rss_gzip" "$rss_gzip_follow" $rss2_nofollow $rss2_follow; do
		[ "$(verdict "$r" 128)" = met ] || echo "  MISSED: $r MiB is above 128 MiB"
	done
	if [ -n "$size2" ]; then
		for pair in "$rss_nofollow:$rss2_nofollow" "$rss_follow:$rss2_follow"; do
			before=${pair%:*} after=${pair#*:}
			awk -v a="$before" -v b="$after" 'BEGIN{exit !(b > a*1.10 + 4)}' &&
				echo "  MISSED: peak RSS grew from $before to $after MiB when the corpus doubled"
		done
	fi
	if [ "$mismatches" -gt 0 ]; then
		echo
		echo "WRONG ANSWERS: $mismatches pipetracker command(s) did not return the manifest's events"
	fi
} | tee "$summary"
echo "results: $summary and $results/*.json"

misses=$(grep -c -e MISSED -e 'WRONG ANSWERS' "$summary" || true)
if [ "$mismatches" -gt 0 ]; then
	exit 1
fi
if [ $strict = 1 ] && [ "$misses" -gt 0 ]; then
	exit 1
fi
exit 0
