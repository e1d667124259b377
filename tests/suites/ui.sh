#!/bin/sh
# The player on a real terminal, driven through tmux: start it in a detached
# session of a fixed size, send keys, capture the screen and compare it with
# the golden screens in tests/ui/ (text, and with -e the colour escapes).
#
#   sh tests/suites/ui.sh ./mailsim
#   UPDATE_GOLDEN=1 sh tests/suites/ui.sh ./mailsim   # rewrite tests/ui/*.txt
#
# Paused screens are deterministic (--step N --no-anim: nothing on screen
# depends on the wall clock).  Every check waits for what it checks (a text
# on the screen, the golden screen itself) and never for a time: PATIENCE
# only caps a wait, so that a broken build fails instead of hanging, and a
# check that runs out of it fails under its own name.
# The last line is "N passed, N failed".
mailsim=${1:-./mailsim}
unset NO_COLOR
passed=0
failed=0
if ! command -v tmux >/dev/null 2>&1; then
	echo "tmux not found: the UI tests need it (apt-get install tmux); skipped"
	echo "0 passed, 0 failed"
	exit 0
fi
case $mailsim in /*) ;; *) mailsim=$(pwd)/$mailsim ;; esac
golden=tests/ui
tmp=$(mktemp -d)
# one tmux server per start (a fresh socket: no race with the one dying)
n=0
sock=mailsim-ui-$$-0
T() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT

PATIENCE=90 # seconds

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# start W H ARGS...: the player in a fresh session; after it ends, the
# pane shows its exit status and the terminal's modes.  $pre, when set,
# goes before the command (env VAR=... to change its environment).
start() {
	w=$1 h=$2
	shift 2
	T kill-server >/dev/null 2>&1
	n=$((n + 1))
	sock=mailsim-ui-$$-$n
	T new-session -d -x "$w" -y "$h" -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 ${NO_COLOR:+-e NO_COLOR=1} \
		"trap : INT; cd '$(pwd)' && ${pre:-} '$mailsim' $*; echo \"EXIT=\$?\"; stty -a | tr ';' '\\n' | grep -E -- '(^| )-?(icanon|echo)( |\$)' | tr '\\n' ' '; echo; sleep 3600"
}
screen() { T capture-pane -p "$@"; }
# wait_for TEXT: until the screen shows TEXT (1 if PATIENCE runs out)
wait_for() {
	end=$(($(date +%s) + PATIENCE))
	until screen | grep -qF -- "$1"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}
# wait_gone TEXT: until the screen no longer shows TEXT
wait_gone() {
	end=$(($(date +%s) + PATIENCE))
	while screen | grep -qF -- "$1"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}
# still FILE: the paused screen into FILE once drawn in full (two captures
# in a row alike: a screen caught half-drawn differs from the next)
still() {
	screen >"$1"
	end=$(($(date +%s) + PATIENCE))
	until sleep 0.1; screen >"$1.next"; cmp -s "$1" "$1.next"; do
		mv "$1.next" "$1"
		[ "$(date +%s)" -ge "$end" ] && break
	done
	rm -f "$1.next"
}
# keys KEY...: type them; a check after keys waits for their effect
keys() { T send-keys "$@"; }

# golden NAME [capture options]: until the screen is tests/ui/NAME.txt (a
# screen may be caught half-drawn; only the one drawn in full must match)
golden() {
	name=$1
	shift
	if [ -n "$UPDATE_GOLDEN" ]; then
		screen "$@" >"$golden/$name.txt"
		ok
		return
	fi
	end=$(($(date +%s) + PATIENCE))
	until screen "$@" >"$tmp/$name.txt"; cmp -s "$tmp/$name.txt" "$golden/$name.txt"; do
		if [ "$(date +%s)" -ge "$end" ]; then
			fail "screen $name differs from $golden/$name.txt after ${PATIENCE}s:"
			diff "$golden/$name.txt" "$tmp/$name.txt" | head -30
			return
		fi
		sleep 0.1
	done
	ok
}
expect() { # expect NAME TEXT: the screen shows TEXT
	if wait_for "$2"; then ok; else fail "$1: no '$2' on the screen:"; screen; fi
}
expect_not() { # expect_not NAME TEXT: the screen, as it is now, lacks TEXT
	if screen | grep -qF -- "$2"; then fail "$1: '$2' on the screen"; else ok; fi
}
expect_gone() { # expect_gone NAME TEXT: TEXT leaves the screen
	if wait_gone "$2"; then ok; else fail "$1: '$2' still on the screen after ${PATIENCE}s:"; screen; fi
}

# --- not a terminal: play says to use run
"$mailsim" play scenarios/smtp-send.scn </dev/null >"$tmp/o" 2>&1
if [ $? -eq 2 ] && grep -qF "use 'mailsim run FILE'" "$tmp/o"; then ok; else fail "play without a terminal"; cat "$tmp/o"; fi

# --- smtp-send: map with the token, the ladder, the explanation (colour and text)
start 80 24 play --no-anim --step 20 scenarios/smtp-send.scn
expect "smtp-send starts" "step 20/"
golden smtp-send-step20
golden smtp-send-step20-colour -e
# n, n, n, p: step 22, exactly what a fresh start at 22 shows (each key
# waited for, so that the screen compared is the last one)
keys n
expect "n" "step 21/"
keys n
expect "n n" "step 22/"
keys n
expect "n n n" "step 23/"
keys p
expect "n and p" "step 22/"
still "$tmp/walked.txt"
start 80 24 play --no-anim --step 22 scenarios/smtp-send.scn
expect "smtp-send at 22" "step 22/"
end=$(($(date +%s) + PATIENCE))
until screen >"$tmp/direct.txt"; cmp -s "$tmp/walked.txt" "$tmp/direct.txt"; do
	[ "$(date +%s)" -ge "$end" ] && break
	sleep 0.1
done
if cmp -s "$tmp/walked.txt" "$tmp/direct.txt"; then ok; else fail "n n n p differs from --step 22"; diff "$tmp/direct.txt" "$tmp/walked.txt"; fi
# w: the handout of step 22 in the current folder (the player started in
# $tmp/w), the same bytes as export's
mkdir -p "$tmp/w"
here=$(pwd)
case $mailsim in /*) abs=$mailsim ;; *) abs=$here/$mailsim ;; esac
m0=$mailsim
mailsim=$abs
pre="env -C $tmp/w"
start 80 24 play --no-anim --step 22 "$here/scenarios/smtp-send.scn"
pre=
mailsim=$m0
expect "smtp-send at 22 in a folder of its own" "step 22/"
keys w
expect "w writes the handout" "handout written: smtp-send-step-22.html"
"$mailsim" export --step 22 --html "$tmp/export-22.html" scenarios/smtp-send.scn
if cmp -s "$tmp/w/smtp-send-step-22.html" "$tmp/export-22.html"; then ok; else fail "w's handout differs from export --step 22"; fi
keys End
expect "End" "step 149/149"
keys Home
expect "Home" "step 0/149"
keys g 4 0 Enter
expect "g 40" "step 40/149"
keys + +
expect "+ +" " 4x "
keys - - - - - - -
expect "- to the slowest" " 0.25x "
keys '?'
expect "help" "previous step (exact"
golden help
keys x
expect_gone "help closes" "previous step (exact"
# ] and [: the next, the previous note (a chapter), named on the status line
keys ]
expect "]" "step 74/149"
keys ]
expect "] ]" "step 149/149"
expect "] ] names the chapter (beside the checks: the last step)" "checks 7/7 ✓  § Two"
keys [
expect "] ] [" "step 74/149"
expect "] ] [ names the chapter" "§ The message is"
keys 2 [
expect "[ under the POP3 filter: a note all the same" "step 1/149"
expect "the first chapter, cut to fit" "§ Alice pr"
keys 0
expect "the first chapter" "§ Alice presses"
keys Home
expect "Home: before the first chapter" "step 0/149"
expect_not "no chapter before the first note" "§"

# --- pop3-vs-imap: the mailboxes before and after POP3's QUIT (100x30)
start 100 30 play --no-anim --step 241 scenarios/pop3-vs-imap.scn
expect "pop3-vs-imap before QUIT" "step 241/"
golden pop3-vs-imap-241
start 100 30 play --no-anim --step 247 scenarios/pop3-vs-imap.scn
expect "pop3-vs-imap after QUIT" "step 247/"
golden pop3-vs-imap-247
# --mono: the same screen without a colour
start 100 30 play --mono --no-anim --step 247 scenarios/pop3-vs-imap.scn
expect "mono" "step 247/"
golden pop3-vs-imap-247-mono -e
if screen -e | grep -qE '\[(3[0-7]|4[0-7]|38;|48;)'; then fail "--mono screen has colours"; else ok; fi
NO_COLOR=1 start 80 24 play --no-anim --step 247 scenarios/pop3-vs-imap.scn
expect "NO_COLOR" "step 247/"
if screen -e | grep -qE '\[(3[0-7]|4[0-7]|38;|48;)'; then fail "NO_COLOR screen has colours"; else ok; fi

# --- starttls: the lines inside TLS as a wiretapper sees them (opaque
# records, their size: the line and its CRLF), and `t` reveals them
start 100 30 play --no-anim --step 52 scenarios/starttls.scn
expect "starttls" "step 52/"
expect "the mode on the status line" "TLS: as a wiretapper sees it"
expect "an opaque record" "TLS record, 39 octets"
expect_not "no plaintext inside TLS" "AUTH PLAIN"
golden starttls-52-wiretap
golden starttls-52-wiretap-colour -e
keys t
expect "t reveals" "TLS: revealed"
expect "the line, with a lock" "🔒 AUTH PLAIN"
golden starttls-52-revealed
keys v
expect "the timeline, revealed" "Timeline"
golden starttls-52-timeline-revealed
keys t
expect "t hides again" "TLS: as a wiretapper sees it"
golden starttls-52-timeline-wiretap
# a lesson without TLS says nothing of it
start 80 24 play --no-anim --step 20 scenarios/smtp-send.scn
expect "smtp-send, no TLS" "step 20/"
expect_not "no TLS mode without TLS" "TLS:"
# --- authentication results: the message in Bob's INBOX with its ✓dkim
# line, and the note on the Authentication-Results: line of POP3's RETR
start 100 30 play --no-anim --step 118 scenarios/dkim-signature.scn
expect "dkim-signature at RETR" "step 118/"
expect "the result under the message" "✓dkim"
expect "the header's note" "what the receiving server verified"
golden dkim-signature-118
# the message's source: each field's note on lines of its own after it
keys Tab Enter
expect "the source" "bob@gmail.com · INBOX · Notas da prova"
expect "the DKIM-Signature note" "⇒ DKIM-Signature: the sending domain's signature"
golden dkim-signature-source
# DMARC p=quarantine: the forged message in Junk, marked, its results in red
start 80 24 play --no-anim --step 126 tests/ui/quarantine.scn
expect "quarantine at the end" "step 126/126"
expect "Junk marked" "Junk (1) ⚠ quarantined"
expect "the forged message's results" "✗spf ·dkim ✗dmarc"
golden quarantine-126-colour -e

# --- POP3's DELE marks the message in the mailboxes pane until QUIT
start 100 30 play --no-anim --step 39 scenarios/pop3-download-and-delete.scn
expect "pop3 after the first DELE" "step 39/"
expect "the mark, in words" "marked (DELE)"
golden pop3-dele-marked-39
# tests/ui/pop3-marks.scn: DELE 1, RSET, DELE 2, then the session ends
# without QUIT.  Step 11 is RSET's +OK: no mark is left
pm=tests/ui/pop3-marks.scn
start 80 24 play --no-anim --step 11 $pm
expect "pop3-marks after RSET" "step 11/"
golden pop3-marks-rset-11
keys n n
expect "DELE 2's +OK" "step 13/"
expect "DELE 2 marks" "marked (DELE)"
keys n
expect "the session ended without QUIT" "step 14/"
expect_gone "no QUIT: the mark is gone" "marked (DELE)"
golden pop3-marks-dropped-14
keys p
expect "a step back" "step 13/"
expect "a step back: marked again" "marked (DELE)"
keys p p
expect "back at RSET" "step 11/"
expect_gone "back at RSET: no mark" "marked (DELE)"

# --- the timeline (v): every session on one time axis, a column per host;
# tests/ui/timeline.scn, where the tablet's IMAP IDLE hears the EXPUNGEs of
# the desktop's POP3 QUIT.  Step 279: the QUIT's +OK, the session's last line
tl=tests/ui/timeline.scn
start 100 30 play --no-anim --step 279 $tl
expect "timeline start" "step 279/"
keys v
expect "v shows the timeline" "Timeline · every session"
expect "the POP3 connect and its port" ":110"
golden timeline-100x30
golden timeline-100x30-colour -e
keys v
expect "v again: the ladder" "POP3 session"
start 80 24 play --no-anim --step 279 $tl
expect "timeline 80x24 start" "step 279/"
keys v
expect "timeline 80x24" "Timeline · every session"
golden timeline-80x24
start 80 24 play --mono --no-anim --step 279 $tl
expect "timeline mono start" "step 279/"
keys v
expect "timeline mono" "Timeline · every session"
golden timeline-80x24-mono -e
# 3: only IMAP, on the timeline and the status line; p and n skip the rest
start 200 55 play --no-anim --step 279 $tl
expect "timeline 200x55 start" "step 279/"
keys v
expect "timeline 200x55" "Timeline · every session"
keys 3
expect "3: IMAP only" "Timeline · IMAP only"
expect "the filter on the status line" "‖ paused  IMAP only"
expect_not "3 hides POP3" "DELE 2"
keys p
expect "p skips to the last EXPUNGE" "step 277/"
golden timeline-200x55-imap -e
keys p
expect "p: the EXPUNGE before" "step 276/"
keys p
expect "p skips the POP3 session" "step 207/"
keys 0
expect "0: every session" "Timeline · every session"
keys n
expect "0: n takes the next step, POP3's" "step 208/"
# the filter steps the ladder too
start 80 24 play --no-anim --step 275 $tl
expect "ladder filter start" "step 275/"
keys 3 n
expect "3 n: the ladder skips to IMAP" "step 276/"
keys 2 n
expect "2 n: back to POP3" "step 279/"
expect "the ladder shows the POP3 session" "POP3 session"

# --- the ladder scrolls back past its session, through the whole run:
# at the relay (session 2), paging back reaches the laptop's submission
start 80 24 play --no-anim --step 60 scenarios/smtp-send.scn
expect "ladder at 60" "step 60/"
expect "relay session" "SMTP session 2"
keys PPage; keys PPage; keys PPage; keys PPage
expect "scrolled back into session 1" "SMTP session 1 (scrolled back)"
expect "the submission's AUTH" "AUTH PLAIN"

# --- imap-two-devices: the \Seen flag has reached the phone
start 80 24 play --no-anim --step 163 scenarios/imap-two-devices.scn
expect "imap-two-devices" "step 163/"
golden imap-two-devices-163

# --- resize: the layout follows, then says the terminal is too small
start 100 30 play --no-anim --step 20 scenarios/smtp-send.scn
expect "resize start" "step 20/"
T resize-window -x 80 -y 24
expect "resize to 80x24" "step 20/"
golden resize-80x24
T resize-window -x 60 -y 20
expect "too small" "mailsim needs at least 80x24 (now 60x20)"
T resize-window -x 100 -y 30
expect "back to 100x30" "step 20/"

# --- quiz: the lesson's own question (wrong-address: who answers RCPT
# TO:<jbob@gmail.com>?), shown before the reply with the mailboxes masked
start 100 30 play --quiz --no-anim --step 54 scenarios/wrong-address.scn
expect "quiz start" "step 54/"
expect "quiz score at start" "quiz 0/0"
keys n
expect "quiz asks the lesson's question" "Who answers RCPT TO:<jbob@gmail.com>, and with what code?"
golden quiz-question-100x30
expect_not "quiz hides the reply" "550 5.1.1"
expect "quiz masks the mailboxes" "Hidden until the answer is revealed."
keys n 9
expect "quiz waits for a choice" "? question"
keys 1
expect "quiz: a wrong answer" "WRONG: you chose 250; the answer is 550."
golden quiz-wrong-100x30
expect "quiz reveals the reply" "550 5.1.1 <jbob@gmail.com>: recipient rejected"
expect "quiz score after a wrong answer" "quiz 0/1"
keys p
expect "quiz back" "step 54/"
keys n
expect "quiz not asked twice" "step 55/"
expect_not "quiz counted once" "? question"
expect_not "quiz counted once" "quiz 0/2"
start 100 30 play --quiz --no-anim --step 54 scenarios/wrong-address.scn
expect "quiz right start" "step 54/"
keys n
expect "quiz asks again in a new run" "? question"
keys 4
expect "quiz: the right answer" "RIGHT: 550."
expect "quiz score after a right answer" "quiz 1/1"
keys End Right
expect "quiz: the end screen" "— the end —"
expect "quiz: the score on the end screen" "quiz: 1 of 1 right"
golden quiz-end-100x30
# a question with choices, where it stands in the story (before the fetch)
start 100 30 play --quiz --no-anim --step 2 scenarios/pop3-download-and-delete.scn
expect "quiz choices start" "step 2/"
keys n
expect "quiz choices asked" "1) 0   2) 1   3) 2"
keys 2
expect "quiz choices answered" "WRONG: you chose 1; the answer is 0."

# --- quiz without questions of the lesson's own: automatic ones at the
# replies that teach, never at a greeting (smtp-send: the first is the
# 235 to AUTH, past the 220 greeting and the EHLO)
start 80 24 play --quiz --no-anim scenarios/smtp-send.scn
expect "auto quiz start" "quiz 0/0"
keys n n n n n n n n n n n n n n n n n n n n
expect "auto quiz asks" "What does mail.uea.edu.br answer to \`AUTH PLAIN"
golden quiz-auto-80x24
expect "auto quiz stopped at the AUTH reply" "step 13/"
keys 2
expect "auto quiz right" "RIGHT: 235."
expect "auto quiz reveals" "235 2.7.0"

# --- a message body is one row of the ladder and the timeline; Enter
# unfolds it (and folds it back); the cursor inside it names its line
start 100 30 play --no-anim --step 34 scenarios/smtp-send.scn
expect "fold start" "step 34/"
expect "the message folded" "▸ message: 11 lines, 300 octets — Enter unfolds"
expect_not "its lines hidden" "Subject: Teste"
expect "the dot after it" "│─ . ──"
keys Enter
expect "Enter unfolds" "│─ Subject: Teste ──"
expect_gone "no folded row" "▸ message"
keys Enter
expect "Enter folds it back" "▸ message: 11 lines"
keys v
expect "the timeline folds it too" "│─ ▸ message: 11 line ►│"
expect_not "its lines hidden on the timeline" "Subject: Teste"
keys v
expect "v: back to the ladder" "Conversation · SMTP"
keys g 2 5 Enter
expect "the cursor inside: its line on the folded row" "▸ message, line 5 of 11: Message-ID:"
keys n
expect "stepping walks every line" "▸ message, line 6 of 11: MIME-Version"

# --- the end: after the last step, Space or Right opens the end screen with
# the checks (not steps: the status line counts them at the last step)
start 100 30 play --no-anim --step 1 scenarios/pop3-download-and-delete.scn
expect "end start" "step 1/"
expect_not "no checks before the last step" "checks 3/3"
keys End
expect "the checks on the status line at the last step" "checks 3/3 ✓"
keys Right
expect "Right at the last step: the end screen" "— the end —"
golden end-100x30
keys Escape
expect_gone "Esc closes the end screen" "— the end —"
expect "Esc: back at the last step" "step 80/80"
keys Space
expect "Space at the last step: the end screen" "— the end —"
keys Home
expect_gone "Home closes the end screen" "— the end —"
expect "Home starts again" "step 0/80"
keys End Right
expect "the end screen again" "— the end —"
keys q
expect "q on the end screen quits" "EXIT=0"

# --- the source of a message, encoded words decoded beside
start 100 30 play --no-anim --step 149 scenarios/smtp-send.scn
expect "source start" "step 149/"
keys Tab
keys Enter
expect "source view" "Received: from"
keys q
expect_gone "source closes" "Received: from"

# --- q leaves the terminal as it found it
start 80 24 play --no-anim --step 3 scenarios/smtp-send.scn
expect "quit start" "step 3/"
keys q
expect "q quits" "EXIT=0"
expect "q restores icanon" " icanon"
expect "q restores echo" " echo"
expect_not "q: no -icanon" "-icanon"
# --- Ctrl-C too
start 80 24 play --paused scenarios/smtp-send.scn
expect "ctrl-c start" "step 0/"
keys C-c
expect "ctrl-c ends" "EXIT=130"
expect "ctrl-c restores icanon" " icanon"
expect_not "ctrl-c: no -icanon" "-icanon"
expect_not "ctrl-c: no -echo" "-echo "

# --- the menu: no arguments on a terminal, pop3-vs-imap selected
start 80 24
expect "menu" "mailsim · lessons"
expect "menu default" "pop3-vs-imap.scn"
keys Enter
expect "menu plays" "mailsim · POP3 vs IMAP"
keys q
expect "back to the menu" "mailsim · lessons"
keys q
expect "menu quits" "EXIT=0"
# the menu is a course: numbered by `order`, each title with its first
# sentence; every title whole at 100x30
start 100 30
expect "menu 100x30" "14. POP3 vs IMAP"
golden menu-100x30
# the order comes from the directive: files a, b, c with no order, order 2,
# order 1 are listed c, b, a (and the first one is selected)
mkdir "$tmp/course"
printf 'title "Third, no order"\nabout "Comes last. More."\n' >"$tmp/course/a.scn"
printf 'title "Second"\norder 2\nabout "Comes second."\n' >"$tmp/course/b.scn"
printf 'title "First"\norder 1\nabout "Comes first."\n' >"$tmp/course/c.scn"
export MAILSIM_SCENARIOS="$tmp/course"
start 80 24
unset MAILSIM_SCENARIOS
expect "course menu" "3. Third, no order"
if screen | cut -c1-20 | sed 's/ *$//' | grep -A5 -F " 1. First" | tr '\n' '|' |
	grep -qF " 1. First|    Comes first.| 2. Second|    Comes second.| 3. Third, no order|    Comes last."; then
	ok
else
	fail "the menu does not follow the order directive:"; screen
fi
expect "course: the first lesson selected" "c.scn"

# --- serve on a terminal: the player, live; a real client appears on the map
if command -v python3 >/dev/null 2>&1; then
	# random ports below the ephemeral ones (32768 and up); others if
	# another run holds one of them
	tries=0
	while :; do
		base=$((12000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
		start 100 30 serve --seconds 900 --smtp-port $base --submission-port $((base + 10)) \
			--pop3-port $((base + 20)) --imap-port $((base + 30)) --submissions-port $((base + 40)) \
			--pop3s-port $((base + 50)) --imaps-port $((base + 60))
		end=$(($(date +%s) + PATIENCE))
		until screen | grep -qE 'LIVE|EXIT='; do
			[ "$(date +%s)" -ge "$end" ] && break
			sleep 0.1
		done
		tries=$((tries + 1))
		screen | grep -qF "cannot listen" && [ $tries -lt 20 ] || break
	done
	expect "serve live" "LIVE"
	expect "serve shows the ports" "$base"
	python3 - "$base" >"$tmp/client" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=90)
f = s.makefile("rwb")
f.readline()
f.write(b"EHLO ui.test\r\n"); f.flush()
while f.readline()[3:4] == b"-":
    pass
f.write(b"QUIT\r\n"); f.flush()
print(f.readline().decode().strip())
s.close()
PY
	if grep -q "^221" "$tmp/client"; then ok; else fail "serve: the client got no 221:"; cat "$tmp/client"; fi
	expect "serve: the client on the map" "│127.0.0.1:"
	expect "serve: EHLO in the ladder" "EHLO ui.test"
	expect "serve: the QUIT reply" "221 2.0.0"
	keys q
	expect "serve q quits" "EXIT=0"
	expect "serve q restores icanon" " icanon"
	expect "serve q restores echo" " echo"
	expect_not "serve q: no -icanon" "-icanon"
fi

# --- Português (issue 12): LANG=pt_BR.UTF-8 alone (no pt_BR locale need
# be installed) opens the menu in Portuguese; two lessons at 80x24, accents
# counted one column each
pre="env -u LC_ALL -u LANGUAGE -u LC_MESSAGES LANG=pt_BR.UTF-8"
start 80 24
expect "pt-BR menu" "lições"
expect "pt-BR menu: a lesson's title" "POP3: baixar e apagar"
golden pt-menu-80x24
keys q
expect "pt-BR menu quits" "EXIT=0"
pre=
start 80 24 play --lang pt-BR --no-anim --step 20 scenarios/smtp-send.scn
expect "pt-BR smtp-send" "passo 20/"
golden pt-smtp-send-20-80x24
start 80 24 play --lang pt-BR --no-anim --step 39 scenarios/pop3-download-and-delete.scn
expect "pt-BR pop3 after DELE" "passo 39/"
golden pt-pop3-dele-39-80x24
# a long Portuguese title stops short of the protocols' legend; the quiz
start 80 24 play --lang pt-BR --quiz --no-anim --step 54 scenarios/wrong-address.scn
expect "pt-BR quiz start" "passo 54/"
keys n
expect "pt-BR quiz asks" "Quem responde"
golden pt-quiz-80x24 -e
start 80 24 play --lang en --no-anim --step 20 scenarios/smtp-send.scn
expect "--lang en stays English" "step 20/"

echo "$passed passed, $failed failed"
