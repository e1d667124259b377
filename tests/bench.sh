#!/bin/sh
# make bench: speed and memory goals, measured, never asserted in tests.
#
# Relay: 10,000 messages submitted on 587, relayed over SMTP on 25 and
# delivered, played headless with --json to /dev/null.  Goal: 10,000
# messages per second on one core; peak memory that does not grow with the
# number of messages beyond the store itself (compare the 1,000 and 10,000
# runs: only the store should grow).
mailsim=${1:-./mailsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() {
	n=$1
	sed "s/repeat 10000/repeat $n/; s/count 10000/count $n/" tests/bench/relay-10000.scn >"$tmp/bench-$n.scn"
	# GNU time gives the peak resident set; fall back to the shell's clock
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M' -o "$tmp/time" "$mailsim" run --json "$tmp/bench-$n.scn" >/dev/null
		status=$?
		read -r secs kb <"$tmp/time"
	else
		start=$(date +%s.%N)
		"$mailsim" run --json "$tmp/bench-$n.scn" >/dev/null
		status=$?
		end=$(date +%s.%N)
		secs=$(echo "$end - $start" | bc)
		kb=unknown
	fi
	rate=$(echo "$n / ($secs + 0.0001)" | bc)
	printf 'relay %6d messages: %6.2f s  %8s msg/s  peak RSS %s KiB  (checks %s)\n' \
		"$n" "$secs" "$rate" "$kb" "$([ "$status" -eq 0 ] && echo passed || echo FAILED)"
}

echo "mailsim bench on $(nproc) cores ($(uname -m)); the simulation uses one"
measure 1000
measure 10000
