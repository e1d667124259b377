#!/bin/sh
# The command line as scripts use it: exit statuses, error format, --db.
mailsim=${1:-./mailsim}
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS
	if [ "$2" -eq "$3" ]; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL $1: exit status $3, expected $2"; fi
}
contains() { # contains NAME FILE TEXT
	if grep -qF -- "$3" "$2"; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL $1: no '$3' in:"; cat "$2"; fi
}

"$mailsim" --help >"$tmp/o" 2>&1; check "--help" 0 $?
contains "--help text" "$tmp/o" "usage: mailsim"
"$mailsim" run --help >"$tmp/o" 2>&1; check "run --help" 0 $?
"$mailsim" validate --help >"$tmp/o" 2>&1; check "validate --help" 0 $?
"$mailsim" --version >"$tmp/o" 2>&1; check "--version" 0 $?
"$mailsim" >"$tmp/o" 2>&1; check "no command" 2 $?
"$mailsim" frobnicate >"$tmp/o" 2>&1; check "unknown command" 2 $?
contains "unknown command text" "$tmp/o" "unknown command 'frobnicate'"
"$mailsim" run >"$tmp/o" 2>&1; check "run without file" 2 $?
"$mailsim" run --bogus scenarios/smtp-send.scn >"$tmp/o" 2>&1; check "unknown option" 2 $?
"$mailsim" run "$tmp/missing.scn" >"$tmp/o" 2>&1; check "missing file" 2 $?
contains "missing file message" "$tmp/o" "missing.scn"

# a scenario with mistakes: every error, FILE:LINE:COL, exit 2, nothing played
cat >"$tmp/bad.scn" <<'SCN'
domain uea.edu.br server mail.uea.edu.br
user alice@uea.edu.br password a
device alice-laptop owner alice@uea.edu.br
sned alice-laptop to bob@gmail.com subject "x" body "y"
send bob-tablet to bob@gmail.com subject "x" body "y"
wait soon
SCN
"$mailsim" run "$tmp/bad.scn" >"$tmp/o" 2>"$tmp/e"; check "bad scenario" 2 $?
contains "error 1" "$tmp/e" "bad.scn:4:1: error:"
contains "error 2" "$tmp/e" "bad.scn:5:6: error:"
contains "error 3" "$tmp/e" "bad.scn:6:6: error:"
if [ -s "$tmp/o" ]; then failed=$((failed + 1)); echo "FAIL bad scenario printed a transcript"; else passed=$((passed + 1)); fi
"$mailsim" validate "$tmp/bad.scn" >"$tmp/o" 2>&1; check "validate bad" 2 $?
"$mailsim" validate scenarios/*.scn >"$tmp/o" 2>&1; check "validate shipped" 0 $?

# a failing check: exit 1, reported with its line
cat >"$tmp/fail.scn" <<'SCN'
domain uea.edu.br server mail.uea.edu.br
user alice@uea.edu.br password a
user carol@uea.edu.br password c
device alice-laptop owner alice@uea.edu.br
send alice-laptop to carol@uea.edu.br subject "x" body "y"
expect mailbox carol@uea.edu.br count 1
expect mailbox carol@uea.edu.br count 5
SCN
"$mailsim" run "$tmp/fail.scn" >"$tmp/o" 2>&1; check "failed check" 1 $?
contains "failed check line" "$tmp/o" "fail.scn:7: FAILED: expect mailbox carol@uea.edu.br count 5 (found 1)"
contains "passed check line" "$tmp/o" "fail.scn:6: passed"
"$mailsim" run --json "$tmp/fail.scn" >"$tmp/o" 2>&1; check "failed check json" 1 $?
contains "json summary" "$tmp/o" '{"checks":{"passed":1,"failed":1}}'
"$mailsim" run -q "$tmp/fail.scn" >"$tmp/o" 2>&1; check "quiet" 1 $?
if [ "$(wc -l <"$tmp/o")" -eq 3 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL quiet output:"; cat "$tmp/o"; fi

# --db: the store is a file students can open with sqlite3
"$mailsim" run --db "$tmp/store.db" scenarios/wrong-address.scn >"$tmp/o" 2>&1; check "--db run" 0 $?
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$tmp/store.db" "SELECT count(*) FROM messages m JOIN folders f ON m.folder_id = f.id JOIN accounts a ON f.account_id = a.id WHERE a.address = 'bob@gmail.com'")
	check "--db holds Bob's message" 1 "$n"
	ok=$(sqlite3 "$tmp/store.db" "PRAGMA integrity_check")
	[ "$ok" = ok ]; check "--db integrity" 0 $?
fi
# the same --db again: the mailboxes are served as they were, and mail left
# in a queue by the first run goes out in the second
cat >"$tmp/left.scn" <<'SCN'
domain uea.edu.br server mail.uea.edu.br
domain gmail.com server mx.gmail.com
user alice@uea.edu.br password a
user bob@gmail.com password b
device alice-laptop owner alice@uea.edu.br
send alice-laptop to bob@gmail.com subject "kept" body "in the queue"
server mail.uea.edu.br down
expect queue mail.uea.edu.br count 1
SCN
cat >"$tmp/again.scn" <<'SCN'
domain uea.edu.br server mail.uea.edu.br
domain gmail.com server mx.gmail.com
user alice@uea.edu.br password a
user bob@gmail.com password b
device alice-laptop owner alice@uea.edu.br
expect queue mail.uea.edu.br empty
expect mailbox bob@gmail.com has subject "kept"
SCN
"$mailsim" run --db "$tmp/again.db" "$tmp/left.scn" >"$tmp/o" 2>&1; check "--db first run" 0 $?
"$mailsim" run --db "$tmp/again.db" "$tmp/again.scn" >"$tmp/o" 2>&1; check "--db second run" 0 $?
contains "queue resumed" "$tmp/o" "queue-resumed: 1 queued message to retry"
"$mailsim" run --db /nonexistent-dir/x.db scenarios/smtp-send.scn >"$tmp/o" 2>&1; check "--db unwritable" 3 $?
"$mailsim" run --seed abc scenarios/smtp-send.scn >"$tmp/o" 2>&1; check "--seed abc" 2 $?

echo "$passed passed, $failed failed"
