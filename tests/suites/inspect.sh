#!/bin/sh
# mailsim inspect: what a --db file holds, as a table and as JSON; errors.
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
# json NAME FILE PYTHON-EXPRESSION (on d, the document): true or FAIL
json() {
	if python3 -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>"$tmp/pyerr"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)); echo "FAIL $1: not true: $3"; cat "$tmp/pyerr"; cat "$2"
	fi
}

"$mailsim" inspect --help >"$tmp/o" 2>&1; st=$?
check "inspect --help" 0 $st
if [ "$st" -ne 0 ]; then
	echo "FAIL 'mailsim inspect' is not wired into ui/main.c yet"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
fi
contains "--help text" "$tmp/o" "usage: mailsim inspect --db FILE [--json]"

# POP3 downloads and deletes: the server's INBOX empty, the laptop holds both
"$mailsim" run --db "$tmp/x.db" scenarios/pop3-download-and-delete.scn >"$tmp/o" 2>&1
check "run pop3-download-and-delete" 0 $?
"$mailsim" inspect --db "$tmp/x.db" >"$tmp/t" 2>&1; check "inspect" 0 $?
contains "account line" "$tmp/t" "bob@gmail.com on mx.gmail.com"
contains "server INBOX empty" "$tmp/t" "  INBOX  UIDVALIDITY 4  UIDNEXT 3  0 messages"
contains "device count" "$tmp/t" "bob-laptop of bob@gmail.com: 2 messages"
contains "device message" "$tmp/t" "INBOX   uidl 4.1  -----"
contains "device subject" "$tmp/t" "Prova de Redes"
contains "phone empty" "$tmp/t" "bob-phone of bob@gmail.com: 0 messages"
contains "queues" "$tmp/t" "mail.uea.edu.br: 0 entries"
# deterministic: the same file gives the same bytes
"$mailsim" inspect --db "$tmp/x.db" >"$tmp/t2" 2>&1
if cmp -s "$tmp/t" "$tmp/t2"; then passed=$((passed + 1)); else
	failed=$((failed + 1)); echo "FAIL inspect twice differs"; fi
# and it only looked: the rows are where they were
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$tmp/x.db" "SELECT count(*) FROM device_messages")
	check "device rows kept" 2 "$n"
fi

"$mailsim" inspect --db "$tmp/x.db" --json >"$tmp/j" 2>&1; check "inspect --json" 0 $?
json "json keys" "$tmp/j" 'sorted(d) == ["accounts", "devices", "queues"]'
json "json server INBOX empty" "$tmp/j" \
	'[f["count"] for a in d["accounts"] if a["address"] == "bob@gmail.com" for f in a["folders"] if f["name"] == "INBOX"] == [0]'
json "json laptop" "$tmp/j" \
	'[(x["count"], len(x["messages"])) for x in d["devices"] if x["name"] == "bob-laptop"] == [(2, 2)]'
json "json laptop uidl" "$tmp/j" \
	'[m["uidl"] for x in d["devices"] if x["name"] == "bob-laptop" for m in x["messages"]] == ["4.1", "4.2"]'
json "json accented body subject" "$tmp/j" \
	'any(m["subject"] == "Prova de Redes" and m["uid"] is None for x in d["devices"] for m in x["messages"])'
json "json queues empty" "$tmp/j" 'all(q["count"] == 0 and q["entries"] == [] for q in d["queues"])'

# IMAP: the server keeps the mail, with flags; UTF-8 subjects come through
"$mailsim" run --db "$tmp/i.db" scenarios/pop3-vs-imap.scn >"$tmp/o" 2>&1
check "run pop3-vs-imap" 0 $?
"$mailsim" inspect --db "$tmp/i.db" --json >"$tmp/j" 2>&1; check "inspect --json imap" 0 $?
json "json valid after IMAP" "$tmp/j" 'len(d["devices"]) == 3'

# server-down: the queue drained by the end
"$mailsim" run --db "$tmp/y.db" scenarios/server-down.scn >"$tmp/o" 2>&1
check "run server-down" 0 $?
"$mailsim" inspect --db "$tmp/y.db" >"$tmp/t" 2>&1; check "inspect server-down" 0 $?
contains "queue drained" "$tmp/t" "mail.uea.edu.br: 0 entries"

# mail left in a queue: the first attempt refused, then the sender goes down
cat >"$tmp/left.scn" <<'SCN'
domain uea.edu.br server mail.uea.edu.br
domain gmail.com server mx.gmail.com
user alice@uea.edu.br password a
user bob@gmail.com password b
device alice-laptop owner alice@uea.edu.br
retry mail.uea.edu.br after 30s backoff 2 attempts 6
server mx.gmail.com down
send alice-laptop to bob@gmail.com, carol@gmail.com subject "Olá" body "kept"
wait 10s
server mail.uea.edu.br down
expect queue mail.uea.edu.br count 1
SCN
"$mailsim" run --db "$tmp/q.db" "$tmp/left.scn" >"$tmp/o" 2>&1; check "run left in queue" 0 $?
"$mailsim" inspect --db "$tmp/q.db" >"$tmp/t" 2>&1; check "inspect queue" 0 $?
contains "queue entry count" "$tmp/t" "mail.uea.edu.br: 1 entry"
contains "queue entry" "$tmp/t" "gmail.com  alice@uea.edu.br  bob@gmail.com, carol@gmail.com"
contains "queue next try" "$tmp/t" "t=30.254s"
contains "queue last reply" "$tmp/t" "connection refused"
"$mailsim" inspect --json --db "$tmp/q.db" >"$tmp/j" 2>&1; check "inspect queue json" 0 $?
json "json queue entry" "$tmp/j" \
	'[(e["rcpts"], e["attempts"], e["next_try"]) for q in d["queues"] if q["server"] == "mail.uea.edu.br" for e in q["entries"]] == [(["bob@gmail.com", "carol@gmail.com"], 1, 30.254)]'

# errors: a missing file is not created; not mailsim's; a bad command line
"$mailsim" inspect --db "$tmp/missing.db" >"$tmp/o" 2>&1; check "missing file" 2 $?
contains "missing file message" "$tmp/o" "mailsim inspect: $tmp/missing.db: no such file"
if [ -e "$tmp/missing.db" ]; then failed=$((failed + 1)); echo "FAIL missing file was created"
else passed=$((passed + 1)); fi
echo "not a database, but long enough to look like one might be" >"$tmp/text.db"
"$mailsim" inspect --db "$tmp/text.db" >"$tmp/o" 2>&1; check "not SQLite" 2 $?
contains "not SQLite message" "$tmp/o" "not a mailsim database"
: >"$tmp/empty.db"
"$mailsim" inspect --db "$tmp/empty.db" >"$tmp/o" 2>&1; check "empty file" 2 $?
contains "empty file message" "$tmp/o" "not a mailsim database"
if command -v sqlite3 >/dev/null 2>&1; then
	cp "$tmp/x.db" "$tmp/new.db"
	sqlite3 "$tmp/new.db" "PRAGMA user_version = 9"
	"$mailsim" inspect --db "$tmp/new.db" >"$tmp/o" 2>&1; check "newer schema" 2 $?
	contains "newer schema message" "$tmp/o" "newer than this mailsim"
fi
"$mailsim" inspect >"$tmp/o" 2>&1; check "no --db" 2 $?
"$mailsim" inspect --db >"$tmp/o" 2>&1; check "--db without FILE" 2 $?
"$mailsim" inspect --bogus --db "$tmp/x.db" >"$tmp/o" 2>&1; check "unknown option" 2 $?
"$mailsim" inspect --db "$tmp/x.db" extra >"$tmp/o" 2>&1; check "extra argument" 2 $?

echo "$passed passed, $failed failed"
