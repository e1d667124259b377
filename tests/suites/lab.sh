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

# Every wait below is for an event (a port that answers, a line in the
# lab's output); PATIENCE only caps it, so that a broken build fails
# instead of hanging, and it is generous: a busy machine is slow, not wrong.
PATIENCE=90 # seconds

# wait_line NAME FILE TEXT: a check that passes once the lab's output FILE
# holds TEXT; its FAIL line names it if TEXT never comes
wait_line() {
	if python3 - "$2" "$3" "$PATIENCE" <<'PY'; then passed=$((passed + 1)); return 0; fi
import sys, time
path, text, patience = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3])
end = time.monotonic() + patience
while time.monotonic() < end:
    with open(path, "rb") as f:
        if text in f.read():
            sys.exit(0)
    time.sleep(0.05)
sys.exit(1)
PY
	failed=$((failed + 1))
	echo "FAIL $1: no '$3' in the lab's output after ${PATIENCE}s:"
	cat "$2"
	return 1
}

# start_lab NAME DB: the lab (in the language $lablang names, when set,
# such as --lang pt-BR) on free ports (a random base below the
# ephemeral range, 32768 and up; another base if a port is taken, by another
# test run for instance), once its last port answers
start_lab() {
	tries=0
	while :; do
		base=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
		smtp=$base sub=$((base + 2)) pop=$((base + 4)) imap=$((base + 6))
		subs=$((base + 8)) pop3s=$((base + 10)) imaps=$((base + 12))
		tlsports="--submissions-port $subs --pop3s-port $pop3s --imaps-port $imaps"
		"$mailsim" ${lablang:-} lab "$1" --db "$2" --seconds 600 --smtp-port $smtp --submission-port $sub \
			--pop3-port $pop --imap-port $imap $tlsports >"$tmp/$1.live" 2>&1 &
		labpid=$!
		wait_listening $((imap + 1)) "$labpid" && return 0
		kill "$labpid" 2>/dev/null
		wait "$labpid" 2>/dev/null
		labpid=
		tries=$((tries + 1))
		if ! grep -q "cannot listen" "$tmp/$1.live" || [ $tries -ge 20 ]; then
			echo "FAIL $1: the lab did not start:"
			cat "$tmp/$1.live"
			return 1
		fi
	done
}

# wait_listening PORT PID: until PORT answers (0), or process PID is gone (1)
wait_listening() {
	python3 - "$1" "$2" "$PATIENCE" <<'PY'
import os, socket, sys, time
port, pid, patience = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + patience
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=patience).close()
        sys.exit(0)
    except OSError:
        pass
    try:
        os.kill(pid, 0)
        if open("/proc/%d/stat" % pid).read().split(") ")[-1][0] == "Z":
            sys.exit(1)
    except (OSError, IndexError):
        sys.exit(1)
    time.sleep(0.05)
sys.exit(1)
PY
}

stop_lab() {
	kill -TERM "$labpid" 2>/dev/null
	wait "$labpid" 2>/dev/null
	labpid=
}

# settled EXERCISE: the line of the lab's output that shows the wrong
# attempt's last step has been taken by the lab (the mail delivered, the
# refusal given, the deletion done), so that --check grades the attempt's
# outcome and not a world still moving
settled() {
	case $1 in
	smtp-by-hand) echo "delivered to carol@uea.edu.br" ;;
	submission-auth) echo "530 5.7.0 Authentication required" ;;
	pop3-delete) echo "signing off (1 message deleted)" ;;
	imap-flag-move) echo "a8 OK LOGOUT completed" ;;
	sockets) echo "delivered to bob@gmail.com" ;;
	bounce-diagnosis) echo "delivered to teacher@uea.edu.br" ;;
	esac
}

# before_work EXERCISE: what the lab itself printed until "over to you"
# (the task, the tables, the story's preparation), on one line; the lines
# of a real client, 127.0.0.1:PORT, are left out: they are the student's
# own work, which may begin while the story still prepares the world
before_work() {
	sed '/over to you/q' "$tmp/$1.live" | grep -v '[0-9]s[[:space:]]*127[.]0[.]0[.]1:[0-9]' |
		tr '\n' ' ' | tr -s ' '
}

# port_named EXERCISE: the text its task must hold, with the lab's real ports
port_named() {
	case $1 in
	smtp-by-hand) echo "'nc -C 127.0.0.1 $smtp'" ;;
	submission-auth) echo "587 in the real world; $sub in the lab's table" ;;
	pop3-delete) echo "'nc -C 127.0.0.1 $((pop + 1))'" ;;
	imap-flag-move) echo "'nc -C 127.0.0.1 $((imap + 1))'" ;;
	sockets) echo "25 in the real world; $((smtp + 1)) in the lab's table" ;;
	bounce-diagnosis) echo "POP3 (port $pop in the lab's table) or IMAP ($imap)" ;;
	esac
}

for e in smtp-by-hand submission-auth pop3-delete imap-flag-move sockets bounce-diagnosis; do
	# solved: the lab itself sees every check pass (its grading runs a
	# moment after each change, and only once the story has prepared the
	# world), then --check, from the store alone, agrees
	start_lab "$e" "$tmp/$e.db" || { failed=$((failed + 1)); continue; }

	# the task names the ports this lab listens on (never the defaults),
	# and nothing before the student's work gives a check away
	wait_line "$e: world ready" "$tmp/$e.live" "over to you"
	before_work "$e" >"$tmp/before"
	contains "$e: task names the real ports" "$tmp/before" "$(port_named "$e")"
	# a default port as a whole number (the lab's random ports may hold
	# one as a part: 25870), or a placeholder's brace
	for p in 2525 2526 2587 2110 2111 2143 2144 '[{]'; do
		if grep -qE -- "(^|[^0-9])$p([^0-9]|\$)" "$tmp/before"; then failed=$((failed + 1))
			echo "FAIL $e: '$p' (a default port, or a placeholder) before the work:"
			cat "$tmp/before"; else passed=$((passed + 1)); fi
	done
	grep -q '^expect \|  1\. expect' "$tmp/$e.live"
	check "$e: no check printed before grading" 1 $?
	python3 tests/lab/solve.py "$e" right $smtp $sub $pop $imap >"$tmp/solve" 2>&1
	st=$?
	check "$e: solver ran" 0 $st
	[ $st -eq 0 ] || cat "$tmp/solve"
	wait_line "$e: live progress" "$tmp/$e.live" "every check passes"
	"$mailsim" lab "$e" --check --db "$tmp/$e.db" >"$tmp/report" 2>&1
	check "$e: solved passes --check" 0 $?
	stop_lab
	"$mailsim" lab "$e" --check --db "$tmp/$e.db" >"$tmp/report" 2>&1
	check "$e: --check after the lab stopped" 0 $?
	contains "$e: score" "$tmp/report" "score "

	# a wrong attempt
	start_lab "$e" "$tmp/$e-wrong.db" || { failed=$((failed + 1)); continue; }
	# once the story is done, or the attempt's lines would come before
	# "over to you" and before_work below would read them
	wait_line "$e: wrong world ready" "$tmp/$e.live" "over to you"
	python3 tests/lab/solve.py "$e" wrong $smtp $sub $pop $imap >"$tmp/solve" 2>&1
	st=$?
	check "$e: wrong solver ran" 0 $st
	[ $st -eq 0 ] || cat "$tmp/solve"
	wait_line "$e: wrong attempt settled" "$tmp/$e.live" "$(settled "$e")"
	stop_lab
	"$mailsim" lab "$e" --check --db "$tmp/$e-wrong.db" >"$tmp/report" 2>&1
	check "$e: wrong attempt fails --check" 1 $?
	contains "$e: wrong attempt FAILED" "$tmp/report" "FAILED"
	contains "$e: wrong attempt hints" "$tmp/report" "Hints:"
	grep -q 'has[^"]*"[^.]' "$tmp/report"
	check "$e: the graded report masks the checks' values" 1 $?
done

# the route: submission-auth's message typed straight into mx.gmail.com's
# port 25 reaches Bob, but fails the check that it was submitted on 587,
# which says why; the right route (above) passed it
start_lab submission-auth "$tmp/route.db" || failed=$((failed + 1))
python3 tests/lab/solve.py submission-auth route $smtp $sub $pop $imap >"$tmp/solve" 2>&1
check "route solver ran" 0 $?
wait_line "route: delivered" "$tmp/submission-auth.live" "delivered to bob@gmail.com"
stop_lab
"$mailsim" lab submission-auth --check --db "$tmp/route.db" >"$tmp/report" 2>&1
check "wrong route fails --check" 1 $?
contains "wrong route: score" "$tmp/report" "score 2/3"
contains "wrong route: the route check failed" "$tmp/report" \
	"FAILED  3/3  expect mailbox bob@gmail.com has subject \"...\" submitted"
tr '\n' ' ' <"$tmp/report" | tr -s ' ' >"$tmp/flat"
contains "wrong route: says why" "$tmp/flat" "(the message is there, but it was not submitted on port 587 with AUTH"
"$mailsim" lab submission-auth --check --db "$tmp/submission-auth.db" >"$tmp/report" 2>&1
check "right route passes --check" 0 $?
contains "right route: the route check passed" "$tmp/report" "passed  3/3"

# the answer of bounce-diagnosis is nowhere before the student looks: not in
# the task, not in the story's preparation (its 550 5.1.1, its bounce), not
# in the report of a wrong attempt; the hints there name the lab's ports
# when --check is given the lab's port options
before_work bounce-diagnosis >"$tmp/before"
if grep -qF "5.1.1" "$tmp/before"; then failed=$((failed + 1))
	echo "FAIL bounce-diagnosis: the answer before the work:"; cat "$tmp/before"
else passed=$((passed + 1)); fi
"$mailsim" lab bounce-diagnosis --check --db "$tmp/bounce-diagnosis-wrong.db" --smtp-port $smtp \
	--submission-port $sub --pop3-port $pop --imap-port $imap >"$tmp/report" 2>&1
check "bounce-diagnosis: wrong attempt with ports" 1 $?
if grep -qF "5.1.1" "$tmp/report"; then failed=$((failed + 1))
	echo "FAIL bounce-diagnosis: the answer in a failed report:"; cat "$tmp/report"
else passed=$((passed + 1)); fi
tr '\n' ' ' <"$tmp/report" | tr -s ' ' >"$tmp/flat"
contains "bounce-diagnosis: hints name the ports" "$tmp/flat" "on port $smtp (teacher@uea.edu.br"

# placeholders: an unknown one is the author's error, found before a class
# sees it; a brace that is no placeholder (an IMAP literal) is text
sed 's/{smtp-port}/{smtp-prot}/' scenarios/labs/smtp-by-hand.scn >"$tmp/typo.scn"
"$mailsim" lab "$tmp/typo.scn" --seconds 1 --db "$tmp/typo.db" >"$tmp/o" 2>&1
check "unknown placeholder" 2 $?
contains "unknown placeholder text" "$tmp/o" "task 1: unknown placeholder {smtp-prot}"
sed 's/{smtp-port}/{smtp-port:mx.example}/' scenarios/labs/smtp-by-hand.scn >"$tmp/typo.scn"
"$mailsim" lab "$tmp/typo.scn" --check --db "$tmp/typo.db" >"$tmp/o" 2>&1
check "placeholder of an unknown server" 2 $?
contains "unknown server text" "$tmp/o" "unknown placeholder {smtp-port:mx.example}"
sed 's/^task "Type EHLO/task "A literal {5} and {smtp-port:mx.gmail.com}. Type EHLO/' \
	scenarios/labs/smtp-by-hand.scn >"$tmp/brace.scn"
"$mailsim" lab "$tmp/brace.scn" --seconds 1 --db "$tmp/brace.db" --smtp-port $smtp \
	--submission-port $sub --pop3-port $pop --imap-port $imap $tlsports >"$tmp/o" 2>&1
tr '\n' ' ' <"$tmp/o" | tr -s ' ' >"$tmp/flat"
contains "a brace is text" "$tmp/flat" "A literal {5} and $((smtp + 1)). Type EHLO"

# the report to hand in: the student's name and the date, text and JSON,
# sealed with a digest of the report and of the store's graded mailboxes
db="$tmp/smtp-by-hand.db"
"$mailsim" lab smtp-by-hand --check --db "$db" --student "Ana Souza" --report "$tmp/r.txt" \
	>"$tmp/report" 2>&1
check "report: solved still passes" 0 $?
contains "report: student on screen" "$tmp/report" "Student: Ana Souza, graded 20"
contains "report: text student" "$tmp/r.txt" "student: Ana Souza"
contains "report: text score" "$tmp/r.txt" "score: 2/2"
contains "report: text check" "$tmp/r.txt" 'check 1/2: passed expect mailbox carol@uea.edu.br has subject "..."'
grep -qE '^date: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$tmp/r.txt"
check "report: ISO 8601 UTC date" 0 $?
grep -qE '^digest: sha256:[0-9a-f]{64}$' "$tmp/r.txt"
check "report: digest line" 0 $?
"$mailsim" lab smtp-by-hand --check --db "$db" --student "Ana Souza" --report "$tmp/r.json" \
	>/dev/null 2>&1
check "report: JSON written" 0 $?
python3 - "$tmp/r.json" <<'PY'
import json, re, sys, datetime
d = json.load(open(sys.argv[1]))
assert d["exercise"] == "smtp-by-hand" and d["student"] == "Ana Souza", d
assert d["score"] == "2/2" and [c["result"] for c in d["checks"]] == ["passed", "passed"], d
assert all('"..."' in c["check"] for c in d["checks"]), d
when = datetime.datetime.strptime(d["date"], "%Y-%m-%dT%H:%M:%SZ")
assert abs((datetime.datetime.utcnow() - when).total_seconds()) < 3600, d["date"]
assert re.fullmatch("sha256:[0-9a-f]{64}", d["digest"]), d
json.dump(d, open(sys.argv[1] + ".pretty.json", "w"), indent=4)  # another layout, same content
d["score"] = "3/2"
json.dump(d, open(sys.argv[1] + ".edited.json", "w"))
PY
check "report: JSON parsed" 0 $?
for f in r.txt r.json r.json.pretty.json; do
	"$mailsim" lab --verify "$tmp/$f" --db "$db" >"$tmp/o" 2>&1
	check "verify: $f intact" 0 $?
done
contains "verify: says intact" "$tmp/o" "is intact"
sed 's/^score: 2\/2/score: 3\/2/' "$tmp/r.txt" >"$tmp/e.txt"
"$mailsim" lab --verify "$tmp/e.txt" --db "$db" >"$tmp/o" 2>&1
check "verify: edited text score" 1 $?
contains "verify: says edited" "$tmp/o" "was edited"
"$mailsim" lab --verify "$tmp/r.json.edited.json" --db "$db" >"$tmp/o" 2>&1
check "verify: edited JSON score" 1 $?
sed 's/^student: Ana Souza/student: Bia Lima/' "$tmp/r.txt" >"$tmp/e.txt"
"$mailsim" lab --verify "$tmp/e.txt" --db "$db" >"$tmp/o" 2>&1
check "verify: edited student" 1 $?
"$mailsim" lab --verify "$tmp/r.txt" --db "$tmp/smtp-by-hand-wrong.db" >"$tmp/o" 2>&1
check "verify: another store's mail does not match" 1 $?
grep -v '^digest:' "$tmp/r.txt" >"$tmp/e.txt"
"$mailsim" lab --verify "$tmp/e.txt" --db "$db" >"$tmp/o" 2>&1
check "verify: no digest is unreadable" 2 $?
"$mailsim" lab --verify "$tmp/none.txt" >"$tmp/o" 2>&1
check "verify: no file" 2 $?
"$mailsim" lab smtp-by-hand --check --db "$db" --student "$(printf 'a\tb')" >"$tmp/o" 2>&1
check "student with a control character" 2 $?

# a second start replaces the store of the first, and says so
start_lab smtp-by-hand "$tmp/smtp-by-hand.db" || failed=$((failed + 1))
stop_lab
contains "stale store replaced" "$tmp/smtp-by-hand.live" "from an earlier start was replaced"
"$mailsim" lab smtp-by-hand --check --db "$tmp/smtp-by-hand.db" >"$tmp/report" 2>&1
check "replaced store starts afresh" 1 $?

# --- a lab in Portuguese (issue 12): what a student reads at its start,
# up to "é com você", is tests/golden/pt_BR/lab-pop3-delete.out, with the
# random ports named and the lines of real clients (start_lab's probe) left
# out (UPDATE_GOLDEN=1 writes it)
lablang="--lang pt-BR"
if start_lab pop3-delete "$tmp/pt.db"; then
	wait_line "pt-BR lab ready" "$tmp/pop3-delete.live" "é com você"
	stop_lab
	sed -e "s/\b$smtp\b/{smtp}/g; s/\b$((smtp + 1))\b/{smtp:2}/g; s/\b$sub\b/{submission}/g" \
	    -e "s/\b$((sub + 1))\b/{submission:2}/g; s/\b$pop\b/{pop3}/g; s/\b$((pop + 1))\b/{pop3:2}/g" \
	    -e "s/\b$imap\b/{imap}/g; s/\b$((imap + 1))\b/{imap:2}/g; s|$tmp/|TMP/|g" \
	    -e "s/\b$subs\b/{submissions}/g; s/\b$((subs + 1))\b/{submissions:2}/g" \
	    -e "s/\b$pop3s\b/{pop3s}/g; s/\b$((pop3s + 1))\b/{pop3s:2}/g" \
	    -e "s/\b$imaps\b/{imaps}/g; s/\b$((imaps + 1))\b/{imaps:2}/g" \
	    -e 's/\([0-9A-F][0-9A-F]:\)\{31\}[0-9A-F][0-9A-F]/{fingerprint}/' \
	    -e '/127\.0\.0\.1:[0-9]/d' -e '/é com você/q' "$tmp/pop3-delete.live" >"$tmp/pt.out"
	g=tests/golden/pt_BR/lab-pop3-delete.out
	if [ -n "$UPDATE_GOLDEN" ]; then cp "$tmp/pt.out" "$g"; passed=$((passed + 1))
	elif cmp -s "$tmp/pt.out" "$g"; then passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL pt-BR lab differs from $g:"
		diff "$g" "$tmp/pt.out" | head -n 20
	fi
else
	failed=$((failed + 1))
fi
lablang=

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
