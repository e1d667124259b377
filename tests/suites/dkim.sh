#!/bin/sh
# DKIM signatures that mailsim makes, verified by an independent verifier
# (tests/dkim_verify.py: Python's standard library and the openssl command,
# no code of mailsim): rsa-sha256 and ed25519-sha256, relaxed and simple
# canonicalization.  The key comes from the TXT record the simulated DNS
# gave the receiving server (in the --json trace); the message as stored in
# the recipient's mailbox (the --db store).  A message with one body byte
# changed must fail.  And the same scenario run twice writes the same bytes.
#
#   sh tests/suites/dkim.sh [MAILSIM]
mailsim=${1:-./mailsim}
. tests/suitelib.sh

if ! command -v openssl >/dev/null 2>&1; then
	bad "the openssl command is needed (apt-get install openssl)"
	echo "$passed passed, $failed failed"
	exit 1
fi

cat >"$tmp/sign.scn" <<'SCN'
seed 7
domain rsa-relaxed.example server mx1.example.net
domain rsa-simple.example  server mx2.example.net
domain ed-relaxed.example  server mx3.example.net
domain ed-simple.example   server mx4.example.net
domain inbox.example       server mx.inbox.example
user a@rsa-relaxed.example password a
user b@rsa-simple.example  password b
user c@ed-relaxed.example  password c
user d@ed-simple.example   password d
user r@inbox.example       password r
device pa owner a@rsa-relaxed.example
device pb owner b@rsa-simple.example
device pc owner c@ed-relaxed.example
device pd owner d@ed-simple.example
dkim rsa-relaxed.example selector s1
dkim rsa-simple.example  selector s2 canonicalization simple
dkim ed-relaxed.example  selector s3 algorithm ed25519-sha256
dkim ed-simple.example   selector s4 algorithm ed25519-sha256 canonicalization simple/simple
verify mx.inbox.example dkim
send pa to r@inbox.example subject "one" body "Olá,  with  spaces   \nand a trailing line\n\n"
send pb to r@inbox.example subject "two" body "simple\n.dot first\n"
send pc to r@inbox.example subject "three" body "ed25519\t tabs \n"
send pd to r@inbox.example subject "four" body ""
expect mailbox r@inbox.example count 4
SCN

"$mailsim" run --json --db "$tmp/s.db" "$tmp/sign.scn" >"$tmp/trace.jsonl" 2>"$tmp/err"
if [ $? -eq 0 ]; then ok; else bad "mailsim run failed:"; cat "$tmp/err"; fi

# each stored message into a file, each key record from the trace
python3 - "$tmp" <<'PY'
import json, re, sqlite3, sys
tmp = sys.argv[1]
db = sqlite3.connect(tmp + "/s.db")
rows = db.execute("SELECT m.subject, m.content FROM messages m JOIN folders f ON m.folder_id = f.id"
                  " JOIN accounts a ON f.account_id = a.id WHERE a.address = 'r@inbox.example'"
                  " ORDER BY m.uid").fetchall()
for subject, content in rows:
    open("%s/msg-%s" % (tmp, subject), "wb").write(content)
for line in open(tmp + "/trace.jsonl", encoding="utf-8"):
    r = json.loads(line)
    if r.get("proto") == "dns" and r.get("dir") == "s2c" and "._domainkey." in r["text"]:
        name, rest = r["text"].split(". IN TXT ", 1)
        txt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', rest))
        open("%s/key-%s" % (tmp, name), "w").write(txt)
PY

check_one() { # check_one SUBJECT KEYNAME WHAT
	if [ ! -f "$tmp/msg-$1" ] || [ ! -f "$tmp/key-$2" ]; then
		bad "$3: no stored message '$1' or no key record $2"; return; fi
	out=$(python3 tests/dkim_verify.py "$tmp/msg-$1" "$(cat "$tmp/key-$2")")
	if [ "$out" = pass ]; then ok; else bad "$3: $out"; fi
	grep -q "^Authentication-Results: mx.inbox.example; dkim=pass header.d=" "$tmp/msg-$1" \
		&& ok || bad "$3: mailsim's own verdict is not dkim=pass"
	# one byte of the body changed: the body hash must not verify
	python3 -c 'import sys
m = open(sys.argv[1], "rb").read()
i = m.index(b"\r\n\r\n") + 4
m = m[:i] + b"X" + m[i:]
open(sys.argv[2], "wb").write(m)' "$tmp/msg-$1" "$tmp/bad-$1"
	out=$(python3 tests/dkim_verify.py "$tmp/bad-$1" "$(cat "$tmp/key-$2")")
	if [ "$out" = "fail: body hash did not verify" ]; then ok; else
		bad "$3, one body byte changed: '$out', expected the body hash to fail"; fi
	# a signed header changed: the signature must not verify
	sed 's/^Subject: /Subject: Re: /' "$tmp/msg-$1" >"$tmp/hdr-$1"
	out=$(python3 tests/dkim_verify.py "$tmp/hdr-$1" "$(cat "$tmp/key-$2")")
	if [ "$out" = "fail: signature did not verify" ]; then ok; else
		bad "$3, Subject changed: '$out', expected the signature to fail"; fi
}
check_one one s1._domainkey.rsa-relaxed.example "rsa-sha256 relaxed/relaxed"
check_one two s2._domainkey.rsa-simple.example "rsa-sha256 simple/simple"
check_one three s3._domainkey.ed-relaxed.example "ed25519-sha256 relaxed/relaxed"
check_one four s4._domainkey.ed-simple.example "ed25519-sha256 simple/simple"

grep -q 'c=simple/simple' "$tmp/msg-two" && ok || bad "message two is not simple/simple"
grep -q 'a=ed25519-sha256' "$tmp/msg-three" && ok || bad "message three is not ed25519"

# the same run again: the same bytes (keys from the seed, the simulated clock)
"$mailsim" run --json --db "$tmp/s2.db" "$tmp/sign.scn" >"$tmp/trace2.jsonl" 2>/dev/null
if cmp -s "$tmp/trace.jsonl" "$tmp/trace2.jsonl"; then ok; else
	bad "two runs of the same scenario differ"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
