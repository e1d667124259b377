#!/bin/sh
# The student lab: `mailsim lab` lists, starts and grades the exercises.
# Each shipped exercise is solved by tests/lab/solve.py over raw sockets and
# must pass --check; a wrong attempt must fail it (exit 1) with a hint.
mailsim=${1:-./mailsim}
passed=0
failed=0
tmp=$(mktemp -d)
labpid=
trap '[ -n "$labpid" ] && kill "$labpid" 2>/dev/null; rm -rf "$tmp"' EXIT

check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS
	if [ "$2" -eq "$3" ]; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL $1: exit status $3, expected $2"; fi
}
contains() { # contains NAME FILE TEXT
	if grep -qF -- "$3" "$2"; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL $1: no '$3' in:"; cat "$2"; fi
}

# the list, and the command-line errors
"$mailsim" lab >"$tmp/o" 2>&1; check "lab lists" 0 $?
n=$(grep -cE '^  [a-z0-9-]+ +[A-Z]' "$tmp/o")
check "six exercises listed" 6 "$n"
for e in smtp-by-hand submission-auth pop3-delete imap-flag-move sockets bounce-diagnosis; do
	contains "listed $e" "$tmp/o" "  $e "
done
"$mailsim" validate scenarios/labs/*.scn >"$tmp/o" 2>&1; check "exercises valid" 0 $?
"$mailsim" lab no-such-lab >"$tmp/o" 2>&1; check "unknown exercise" 2 $?
contains "unknown exercise text" "$tmp/o" "no exercise 'no-such-lab' (see 'mailsim lab' for the list)"
"$mailsim" lab smtp-by-hand --check --db "$tmp/none.db" >"$tmp/o" 2>&1; check "check without store" 2 $?
contains "check without store text" "$tmp/o" "no lab store $tmp/none.db: start the lab with 'mailsim lab smtp-by-hand' first"
[ ! -e "$tmp/none.db" ]; check "check creates no store" 0 $?
"$mailsim" lab scenarios/smtp-send.scn >"$tmp/o" 2>&1; check "a lesson is not an exercise" 2 $?
contains "lesson text" "$tmp/o" "is a lesson, not an exercise"
"$mailsim" lab smtp-by-hand --seconds 0 >"$tmp/o" 2>&1; check "bad --seconds" 2 $?
MAILSIM_LABS="$tmp/empty" "$mailsim" lab >"$tmp/o" 2>&1; check "MAILSIM_LABS without exercises falls back" 0 $?

# ports from the process id, out of the way of other suites
base=$((20000 + ($$ % 190) * 60)) # below the ephemeral ports (32768 and up)

wait_port() { # wait_port PORT: until something listens (up to 5 s)
	python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

start_lab() { # start_lab NAME DB
	base=$((base + 10))
	smtp=$base sub=$((base + 2)) pop=$((base + 4)) imap=$((base + 6))
	"$mailsim" lab "$1" --db "$2" --seconds 30 --smtp-port $smtp --submission-port $sub \
		--pop3-port $pop --imap-port $imap >"$tmp/$1.live" 2>&1 &
	labpid=$!
	wait_port $((imap + 1))
}

stop_lab() {
	kill -TERM "$labpid" 2>/dev/null
	wait "$labpid" 2>/dev/null
	labpid=
}

grade() { # grade NAME DB: --check until it passes (every 0.3 s, up to 10 s)
	i=0
	while [ $i -lt 33 ]; do
		"$mailsim" lab "$1" --check --db "$2" >"$tmp/report" 2>&1 && return 0
		sleep 0.3
		i=$((i + 1))
	done
	return 1
}

for e in smtp-by-hand submission-auth pop3-delete imap-flag-move sockets bounce-diagnosis; do
	# solved
	start_lab "$e" "$tmp/$e.db"
	python3 tests/lab/solve.py "$e" right $smtp $sub $pop $imap >"$tmp/solve" 2>&1
	check "$e: solver ran" 0 $?
	grade "$e" "$tmp/$e.db"
	check "$e: solved passes --check" 0 $?
	stop_lab
	"$mailsim" lab "$e" --check --db "$tmp/$e.db" >"$tmp/report" 2>&1
	check "$e: --check after the lab stopped" 0 $?
	contains "$e: score" "$tmp/report" "score "
	contains "$e: live progress" "$tmp/$e.live" "every check passes"

	# a wrong attempt
	start_lab "$e" "$tmp/$e-wrong.db"
	python3 tests/lab/solve.py "$e" wrong $smtp $sub $pop $imap >"$tmp/solve" 2>&1
	sleep 2 # time enough for a relay that must not happen
	stop_lab
	"$mailsim" lab "$e" --check --db "$tmp/$e-wrong.db" >"$tmp/report" 2>&1
	check "$e: wrong attempt fails --check" 1 $?
	contains "$e: wrong attempt FAILED" "$tmp/report" "FAILED"
	contains "$e: wrong attempt hints" "$tmp/report" "Hints:"
done

# a second start replaces the store of the first, and says so
start_lab smtp-by-hand "$tmp/smtp-by-hand.db"
stop_lab
contains "stale store replaced" "$tmp/smtp-by-hand.live" "from an earlier start was replaced"
"$mailsim" lab smtp-by-hand --check --db "$tmp/smtp-by-hand.db" >"$tmp/report" 2>&1
check "replaced store starts afresh" 1 $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
