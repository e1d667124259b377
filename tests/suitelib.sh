# tests/suitelib.sh - what a suite of tests/suites/ starts with, sourced
# from the repository's root (". tests/suitelib.sh"): the counters, a
# temporary folder removed at the end, and ok / bad to count a check.  A
# failed check prints "FAIL name ..."; the suite ends with its result line:
#
#	echo "$passed passed, $failed failed"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
