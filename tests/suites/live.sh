#!/bin/sh
# Live mode against real clients: `mailsim serve` on free loopback ports,
# driven by Python's smtplib, poplib and imaplib, by curl and by raw
# sockets; each test checks the replies and what the --db store holds
# afterwards.  One script per subject in tests/live/ (test_*.py, standard
# library only); each prints its failures and ends with "N passed, N failed".
#
#   sh tests/suites/live.sh ./mailsim
#   LIVE_VERBOSE=1 ...   every check, not only the failures
#   LIVE_KEEP=1 ...      keep each test's temporary directory (logs, --db)
#
# The last line is the sum, "N passed, N failed".
mailsim=${1:-./mailsim}
case $mailsim in /*) ;; *) mailsim=$(pwd)/$mailsim ;; esac
dir=$(cd "$(dirname "$0")/../live" && pwd)
passed=0
failed=0
per_test=600  # seconds: only so that no test hangs the suite (each waits for events)

if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed; the live tests need it"
	echo "0 passed, 0 failed"
	exit 0
fi
if [ ! -x "$mailsim" ]; then
	echo "FAIL live: '$mailsim' is not an executable (build with make)"
	echo "0 passed, 1 failed"
	exit 1
fi
run_limited() { # run_limited SECONDS CMD...: stop CMD if it takes longer
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 5 "$@"
	else
		shift
		"$@"
	fi
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$dir"/test_*.py; do
	name=$(basename "$t" .py)
	start=$(date +%s)
	run_limited "$per_test" python3 "$t" "$mailsim" >"$log" 2>&1
	status=$?
	took=$(($(date +%s) - start))
	grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: no result line (exit status $status$([ $status -eq 124 ] && echo ", timed out after ${per_test}s"))"
		failed=$((failed + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	if [ "$f" -eq 0 ] && [ "$status" -ne 0 ]; then
		echo "FAIL $name: exit status $status"
		f=1
	fi
	printf '%-22s %4s passed, %s failed  (%ss)\n' "$name" "$p" "$f" "$took"
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
