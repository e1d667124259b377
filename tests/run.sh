#!/bin/sh
# tests/run.sh BUILD_DIR MAILSIM - run every test suite and add up the results.
#
# Each suite (a unit-test binary in BUILD_DIR/tests, and each script in
# tests/suites/) prints "N passed, N failed" as its last line, and a line
# starting "FAIL " for each check that failed.  A suite that crashes, or
# whose output lacks that line, counts as one failure.
# Under a failing suite come the end of its log, for context; at the end,
# every FAIL line of every suite, then the sum, in the same form, as the
# last line.
build=${1:?usage: tests/run.sh BUILD_DIR MAILSIM}
mailsim=${2:?usage: tests/run.sh BUILD_DIR MAILSIM}
export MAILSIM="$mailsim"
# The goldens are English: whatever language the machine speaks, the suites
# run in C.UTF-8 (tests/suites/i18n.sh asks for Portuguese itself).
unset LANGUAGE LC_MESSAGES
export LANG=C.UTF-8 LC_ALL=C.UTF-8
passed=0
failed=0
log=$(mktemp)
fails=$(mktemp)
trap 'rm -f "$log" "$fails"' EXIT

# note NAME: keep the suite's FAIL lines for the summary
note() {
	grep -E '^FAIL[ :]' "$log" | sed "s/^/  $1: /" >>"$fails"
}

tally() {
	name=$1
	status=$2
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: no result line (exit status $status)"
		sed 's/^/    /' "$log" | tail -n 40
		note "$name"
		echo "  $name: FAIL no result line (exit status $status)" >>"$fails"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	if [ "$f" -ne 0 ] || [ "$status" -ne 0 ]; then
		sed 's/^/    /' "$log" | tail -n 60
		note "$name"
		if [ "$f" -eq 0 ]; then
			f=1
			echo "  $name: FAIL exit status $status" >>"$fails"
		fi
	fi
	printf '%-28s %s passed, %s failed\n' "$name" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	(cd tests && "../$t") >"$log" 2>&1
	tally "$(basename "$t")" $?
done

for s in tests/suites/*.sh; do
	[ -f "$s" ] || continue
	sh "$s" "$mailsim" >"$log" 2>&1
	tally "$(basename "$s" .sh)" $?
done

if [ -s "$fails" ]; then
	echo
	echo "Failed checks:"
	cat "$fails"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
