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

# Live mode: `mailsim serve` on real loopback sockets, loaded by
# tests/bench/live_bench (one process, one poll() loop, 20 clients).  SMTP
# messages accepted per second on the first server's plain SMTP port (the
# port 25 role: no AUTH, the local user alice, no relay), in memory and
# with --db (a 250 only once committed, synchronous=FULL); then IMAP FETCHes
# per second on alice's INBOX, now thousands of messages.  The peak RSS is
# the server's (VmHWM), read just before SIGTERM.
live_bench=${3:-$(dirname "${imap_bench:-build/release/bench/imap_bench}")/live_bench}
if [ ! -x "$live_bench" ] || [ tests/bench/live_bench.c -nt "$live_bench" ]; then
	case "$live_bench" in
	build/san/*) make --no-print-directory -s SAN=1 "$live_bench" ;;
	*) make --no-print-directory -s "$live_bench" ;;
	esac
fi
serve_pid=
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# live STORE [--db FILE]: start the server on free high ports, load it, stop it.
live() {
	store=$1
	shift
	tries=0
	while :; do
		# the first server on base, base+2, base+4, base+6; the second one above each
		base=$((30000 + ($$ * 8 + tries * 8) % 30000))
		"$mailsim" serve --smtp-port "$base" --submission-port $((base + 2)) \
			--pop3-port $((base + 4)) --imap-port $((base + 6)) --submissions-port $((base + 8)) \
			--pop3s-port $((base + 10)) --imaps-port $((base + 12)) --seconds 120 "$@" \
			>/dev/null 2>"$tmp/serve.err" &
		serve_pid=$!
		if "$live_bench" --wait "$base" --seconds 10 2>"$tmp/wait.err"; then
			break
		fi
		kill "$serve_pid" 2>/dev/null
		wait "$serve_pid" 2>/dev/null
		serve_pid=
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ] || ! grep -q 'cannot listen' "$tmp/serve.err"; then
			echo "live ($store): mailsim serve did not start:" >&2
			cat "$tmp/serve.err" "$tmp/wait.err" >&2
			return 1
		fi
	done
	ok=0
	"$live_bench" --smtp "$base" --clients 20 --seconds 5 --store "$store" || ok=1
	[ "$ok" -eq 0 ] && { "$live_bench" --imap $((base + 6)) --clients 20 --seconds 3 --store "$store" || ok=1; }
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$serve_pid/status" 2>/dev/null)
	kill -TERM "$serve_pid" 2>/dev/null
	wait "$serve_pid"
	status=$?
	serve_pid=
	echo "  serve peak RSS ${hwm:-unknown} KiB (store: $store; exit status $status after SIGTERM)"
	[ "$ok" -eq 0 ] && [ "$status" -eq 0 ]
}

if [ -x "$live_bench" ]; then
	echo "live mode (mailsim serve on loopback) on $(nproc) cores; the server uses one, live_bench another"
	live memory || echo "live (memory): FAILED"
	mkdir -p "$tmp/live"
	live file --db "$tmp/live/live.db" || echo "live (file): FAILED"
else
	echo "live mode: $live_bench not built; skipped"
fi
