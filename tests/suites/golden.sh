#!/bin/sh
# Golden transcripts: every shipped scenario, played headless, must give
# exactly the transcript and the JSON Lines stored in tests/golden/, twice in
# a row (determinism), and every JSON line must parse.
#
#   UPDATE_GOLDEN=1 sh tests/suites/golden.sh ./mailsim   rewrites the files
#   (read the diff before committing it: it is the lesson students will see)
mailsim=${1:-./mailsim}
. tests/suitelib.sh

for scn in scenarios/*.scn; do
	name=$(basename "$scn" .scn)
	"$mailsim" run "$scn" >"$tmp/$name.out" 2>"$tmp/$name.err"
	status=$?
	"$mailsim" run --json "$scn" >"$tmp/$name.jsonl" 2>>"$tmp/$name.err"
	jstatus=$?
	"$mailsim" run --json "$scn" >"$tmp/$name.again" 2>>"$tmp/$name.err"
	if [ -n "$UPDATE_GOLDEN" ]; then
		cp "$tmp/$name.out" "tests/golden/$name.out"
		cp "$tmp/$name.jsonl" "tests/golden/$name.jsonl"
	fi
	# every shipped lesson passes its own checks
	if [ "$status" -eq 0 ] && [ "$jstatus" -eq 0 ] && [ ! -s "$tmp/$name.err" ]; then ok; else
		bad "$name: exit status $status/$jstatus"; cat "$tmp/$name.err"; grep FAILED "$tmp/$name.out"; fi
	if cmp -s "$tmp/$name.out" "tests/golden/$name.out"; then ok; else
		bad "$name: transcript differs from tests/golden/$name.out"
		diff -u "tests/golden/$name.out" "$tmp/$name.out" | head -n 30; fi
	if cmp -s "$tmp/$name.jsonl" "tests/golden/$name.jsonl"; then ok; else
		bad "$name: JSON differs from tests/golden/$name.jsonl"
		diff -u "tests/golden/$name.jsonl" "$tmp/$name.jsonl" | head -n 30; fi
	if cmp -s "$tmp/$name.jsonl" "$tmp/$name.again"; then ok; else
		bad "$name: two runs differ"; fi
	if python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
for n, l in enumerate(lines, 1):
    o = json.loads(l)
    if n < len(lines):
        assert "t" in o and ("text" in o or "event" in o), f"line {n}: {l}"
        if "text" in o:
            for k in ("from", "to", "proto", "dir", "note"):
                assert k in o, f"line {n}: no {k}"
            assert o["proto"] in ("smtp", "pop3", "imap", "dns"), l
            assert o["dir"] in ("c2s", "s2c"), l
last = json.loads(lines[-1])
assert set(last) == {"checks"} and set(last["checks"]) == {"passed", "failed"}, lines[-1]
' "$tmp/$name.jsonl"; then ok; else bad "$name: invalid JSON Lines"; fi
done

# A POP3 or IMAP lesson opens on POP3 or IMAP: its first such line comes
# within its first 30 steps (the mail it reads is there already: `mail`).
# The player counts a step per trace record that is not a mailbox change,
# which is every JSON line but the last (the checks).
for golden in tests/golden/pop3*.jsonl tests/golden/imap*.jsonl; do
	name=$(basename "$golden" .jsonl)
	if python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()[:-1]
first = next((i for i, l in enumerate(lines)
              if json.loads(l).get("proto") in ("pop3", "imap")), None)
assert first is not None and first < 30, f"first POP3/IMAP step: {first}"
' "$golden"; then ok; else bad "$name: no POP3 or IMAP line in its first 30 steps"; fi
done
# Notes name IMAP's system flags exactly as the wire shows them, backslash
# and all (\Seen, \Deleted, \Flagged): never "Seen" alone, never "the seen
# flag".  Every note and event of every golden run, and the text a lesson
# writes itself (about, note, task, hint), is read.  A capitalised word that
# starts a sentence is a word; POP3's "marked deleted" is no flag and stays
# as RFC 1939 says it.
if python3 -c '
import json, re, sys
bare = re.compile(r"(?<![\\\w])(Seen|Deleted|Flagged|Answered|Draft|Recent)\b"
                  r"|\b(seen|deleted|flagged|answered|draft|recent) flag\b")
bad = []
def look(where, text):
    for m in bare.finditer(text or ""):
        before = text[:m.start()].rstrip()
        if m.group(1) and (not before or before[-1] in "\".?!"):
            continue  # a sentence that starts "Deleted the wrong one?"
        bad.append(f"{where}: {text}")
        break
for path in sys.argv[1:]:
    if path.endswith(".jsonl"):
        for n, l in enumerate(open(path, encoding="utf-8"), 1):
            o = json.loads(l)
            look(f"{path}:{n}", o.get("note"))
            if "event" in o:
                look(f"{path}:{n}", o.get("detail"))
    else:
        for n, l in enumerate(open(path, encoding="utf-8"), 1):
            if re.match(r"\s*(about|note|task|hint)\b", l):
                look(f"{path}:{n}", l)
for b in bad:
    print("a flag without its backslash:", b)
sys.exit(1 if bad else 0)
' tests/golden/*.jsonl scenarios/*.scn scenarios/labs/*.scn; then ok; else bad "a note names an IMAP flag without its backslash"; fi

echo "$passed passed, $failed failed"
