#!/bin/sh
# tests/fuzz/run.sh - run the libFuzzer targets (built by `make fuzz`).
#
#   run.sh SECS TARGET...   fuzz each target SECS seconds, one after the other
#   run.sh merge TARGET...  fold build/fuzz/corpus/TARGET (what runs found)
#                           into tests/fuzz/corpus/TARGET, minimized (-merge=1)
#   run.sh seed TARGET...   the same with fresh seeds from tests/fuzz/seeds.py
#
# A run reads tests/fuzz/corpus/TARGET (the committed corpus, never written
# by a run) and writes what it finds to build/fuzz/corpus/TARGET (scratch);
# crashing inputs go to build/fuzz/crashes/TARGET/.  Runs use libFuzzer's
# fork mode with -ignore_crashes=1, so a crash does not end the run: the
# count of crashes is in the summary, the inputs in the crashes directory.
# The summary gives, per target: executions, executions per second and the
# coverage reached (cov: edges, ft: features), from libFuzzer's last status
# line.  Exit status 1 if any run crashed.
#
# The protocol targets get a dictionary of the protocol's words
# (tests/fuzz/imap.dict, smtp.dict, pop3.dict).  Extra libFuzzer options:
# FUZZ_OPTS="-max_len=8192" make fuzz.
bin=build/fuzz/fuzz
mode=${1:?usage: tests/fuzz/run.sh SECS|merge|seed TARGET...}
shift
status=0

merge() { # merge TARGET EXTRA-DIR...
	t=$1
	shift
	new=build/fuzz/merge/$t
	rm -rf "$new"
	mkdir -p "$new" tests/fuzz/corpus/"$t"
	"$bin/fuzz_$t" -merge=1 $FUZZ_OPTS "$new" tests/fuzz/corpus/"$t" "$@" \
		>build/fuzz/merge-"$t".log 2>&1 || {
		echo "FAIL merge $t (build/fuzz/merge-$t.log)"
		tail -n 20 build/fuzz/merge-"$t".log
		status=1
		return
	}
	rm -rf tests/fuzz/corpus/"$t"
	mv "$new" tests/fuzz/corpus/"$t"
	echo "$t: $(ls tests/fuzz/corpus/"$t" | wc -l) files," \
		"$(du -sk tests/fuzz/corpus/"$t" | cut -f1) KiB"
}

case $mode in
merge)
	for t in "$@"; do
		mkdir -p build/fuzz/corpus/"$t"
		merge "$t" build/fuzz/corpus/"$t"
	done
	exit $status
	;;
seed)
	rm -rf build/fuzz/seeds
	python3 tests/fuzz/seeds.py build/fuzz/seeds || exit 1
	for t in "$@"; do
		mkdir -p build/fuzz/seeds/"$t"
		merge "$t" build/fuzz/seeds/"$t"
	done
	exit $status
	;;
esac

secs=$mode
for t in "$@"; do
	# the protocol's words (tests/fuzz/imap.dict for imap_*...), if any
	dict=
	[ -f tests/fuzz/"${t%%_*}".dict ] && dict=-dict=tests/fuzz/"${t%%_*}".dict
	mkdir -p build/fuzz/corpus/"$t" build/fuzz/crashes/"$t" tests/fuzz/corpus/"$t"
	log=build/fuzz/fuzz-"$t".log
	"$bin/fuzz_$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$secs" -artifact_prefix=build/fuzz/crashes/"$t"/ $dict $FUZZ_OPTS \
		build/fuzz/corpus/"$t" tests/fuzz/corpus/"$t" >"$log" 2>&1
	# the last status line: "#N: cov: C ft: F corp: K exec/s E oom/timeout/crash: a/b/c ..."
	last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
	runs=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	eps=
	[ -n "$runs" ] && eps=$((runs / secs)) # the average over the run
	crashes=$(ls build/fuzz/crashes/"$t" | wc -l)
	printf '%-14s %6ss %10s execs %7s exec/s  cov: %-6s ft: %-6s crashes: %s\n' \
		"$t" "$secs" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
	if [ "$crashes" -ne 0 ]; then
		ls build/fuzz/crashes/"$t" | sed "s|^|    build/fuzz/crashes/$t/|"
		status=1
	fi
done
exit $status
