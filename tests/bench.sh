#!/bin/sh
# make bench: speed and memory goals, measured, never asserted in tests.
#
# Relay: 10,000 messages submitted on 587, relayed over SMTP on 25 and
# delivered, played headless with --json to /dev/null.  Goal: 10,000
# messages per second on one core; peak memory that does not grow with the
# number of messages beyond the store itself (compare the 1,000 and 10,000
# runs: only the store should grow).
mailsim=${1:-./mailsim}
imap_bench=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() {
	n=$1
	sed "s/repeat 10000/repeat $n/; s/count 10000/count $n/" tests/bench/relay-10000.scn >"$tmp/bench-$n.scn"
	# GNU time gives the peak resident set; fall back to the shell's clock
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M' -o "$tmp/time" "$mailsim" run --json --stats "$tmp/bench-$n.scn" >/dev/null 2>"$tmp/stats"
		status=$?
		read -r secs kb <"$tmp/time"
	else
		start=$(date +%s.%N)
		"$mailsim" run --json --stats "$tmp/bench-$n.scn" >/dev/null 2>"$tmp/stats"
		status=$?
		end=$(date +%s.%N)
		secs=$(echo "$end - $start" | bc)
		kb=unknown
	fi
	rate=$(echo "$n / ($secs + 0.0001)" | bc)
	store=$(sed -n 's/.*SQLite holds \([0-9]*\) KiB.*/\1/p' "$tmp/stats")
	rest=unknown
	[ "$kb" != unknown ] && [ -n "$store" ] && rest=$((kb - store))
	printf 'relay %6d messages: %6.2f s %7s msg/s   peak RSS %6s KiB = store %6s KiB + the rest %6s KiB   (checks %s)\n' \
		"$n" "$secs" "$rate" "$kb" "$store" "$rest" "$([ "$status" -eq 0 ] && echo passed || echo FAILED)"
}

echo "mailsim bench on $(nproc) cores ($(uname -m)); the simulation uses one"
measure 1000
measure 10000
echo "goal: 10000 msg/s on one core; 'the rest' (RSS minus the in-memory store) stays flat as messages grow"

# IMAP: a mailbox of 100,000 messages; SELECT, UID FETCH 1:* (FLAGS),
# SEARCH UNSEEN and a STORE on all must each take well under a second, and
# memory must not hold all the bodies at once.
if [ -n "$imap_bench" ] && [ -x "$imap_bench" ]; then
	"$imap_bench" 100000 "$tmp/imap-bench.db"
	echo "goal: each command well under 1000 ms"
fi
