#!/bin/sh
# The lessons and exercises are found from anywhere: the build tree's
# binary run from another folder (its scenarios/ beside it), a copy with no
# lessons near it (the message names every folder it looked in), the
# overrides $MAILSIM_SCENARIOS and $MAILSIM_LABS, and a real `make install`
# staged with DESTDIR under PREFIX=/usr (built in a folder of its own, so
# the tree's build is untouched), run from / with HOME elsewhere.  The menu
# needs a terminal: it is started in tmux when tmux is there, and each wait
# for its screen is capped by PATIENCE, never a sleep.
#
#   sh tests/suites/find.sh ./mailsim
mailsim=${1:-./mailsim}
. tests/suitelib.sh
case $mailsim in /*) ;; *) mailsim=$(pwd)/$mailsim ;; esac
root=$(pwd)
PATIENCE=60 # seconds

# has NAME FILE TEXT: FILE holds TEXT
has() {
	if grep -qF -- "$3" "$2"; then ok; else bad "$1: no '$3' in:"; cat "$2"; fi
}
# status NAME EXPECTED ACTUAL
status() {
	if [ "$2" -eq "$3" ]; then ok; else bad "$1: exit status $3, expected $2"; fi
}

# --- the build tree run from elsewhere: a tree of the binary and a
# scenarios/ beside it, the working directory another folder
mkdir -p "$tmp/tree" "$tmp/elsewhere" "$tmp/home" "$tmp/lone"
cp "$mailsim" "$tmp/tree/mailsim"
ln -s "$root/scenarios" "$tmp/tree/scenarios"
(cd "$tmp/elsewhere" && HOME="$tmp/home" "$tmp/tree/mailsim" lab) >"$tmp/o" 2>&1
status "tree: lab lists from elsewhere" 0 $?
has "tree: lab lists from elsewhere" "$tmp/o" "Exercises (in $tmp/tree/scenarios/labs)"
has "tree: lab lists smtp-by-hand" "$tmp/o" "smtp-by-hand"
# a NAME is found the same way: the lab gets as far as the missing store
(cd "$tmp/elsewhere" && "$tmp/tree/mailsim" lab smtp-by-hand --check --db "$tmp/none.db") \
	>"$tmp/o" 2>&1
status "tree: lab finds NAME from elsewhere" 2 $?
has "tree: lab finds NAME from elsewhere" "$tmp/o" "no lab store $tmp/none.db"

# --- a binary with nothing near it: both messages say where they looked
# (unless this machine has mailsim installed in the default place)
cp "$mailsim" "$tmp/lone/mailsim"
if [ ! -d /usr/local/share/mailsim ]; then
	(cd "$tmp/elsewhere" && "$tmp/lone/mailsim" lab) >"$tmp/o" 2>&1
	status "lone: no exercises" 2 $?
	has "lone: no exercises, where" "$tmp/o" \
		"no exercises found in scenarios/labs, $tmp/lone/scenarios/labs, $tmp/share/mailsim/scenarios/labs, /usr/local/share/mailsim/scenarios/labs"
	has "lone: no exercises, the override" "$tmp/o" "MAILSIM_LABS"
	(cd "$tmp/elsewhere" && "$tmp/lone/mailsim" lab --help) >"$tmp/o" 2>&1
	has "lone: lab --help names the folders" "$tmp/o" "  $tmp/lone/scenarios/labs"
fi
# the overrides come first
(cd "$tmp/elsewhere" && MAILSIM_LABS="$root/scenarios/labs" "$tmp/lone/mailsim" lab) >"$tmp/o" 2>&1
status "MAILSIM_LABS" 0 $?
has "MAILSIM_LABS" "$tmp/o" "Exercises (in $root/scenarios/labs)"

# --- make install, staged: DESTDIR=stage PREFIX=/usr, built apart
# (BUILD, mailsim_bin) and without the make that may be running the tests
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 install BUILD="$tmp/build" \
	mailsim_bin="$tmp/build/mailsim" CFLAGS=-O0 DESTDIR="$tmp/stage" PREFIX=/usr \
	>"$tmp/make.log" 2>&1; then ok; else bad "make install:"; tail -n 20 "$tmp/make.log"; fi
inst=$tmp/stage/usr/bin/mailsim
for f in "$inst" "$tmp/stage/usr/share/man/man1/mailsim.1" \
	"$tmp/stage/usr/share/mailsim/scenarios/pop3-vs-imap.scn" \
	"$tmp/stage/usr/share/mailsim/scenarios/labs/smtp-by-hand.scn" \
	"$tmp/stage/usr/share/locale/pt_BR/LC_MESSAGES/mailsim.mo" \
	"$tmp/stage/usr/share/man/pt_BR/man1/mailsim.1"; do
	if [ -f "$f" ]; then ok; else bad "make install: no ${f#"$tmp/stage"}"; fi
done
# compiled with PREFIX's share directory (the stamp of DATADIR)
"$inst" lab --help >"$tmp/o" 2>&1
has "installed: DATADIR is PREFIX's" "$tmp/o" "  /usr/share/mailsim/scenarios/labs"
(cd / && HOME="$tmp/home" "$inst" lab) >"$tmp/o" 2>&1
status "installed: lab lists from /" 0 $?
has "installed: lab lists from /" "$tmp/o" "Exercises (in $tmp/stage/usr/share/mailsim/scenarios/labs)"
has "installed: lab lists pop3-delete" "$tmp/o" "pop3-delete"
# the Portuguese catalogue, found under PREFIX/share/locale from anywhere
(cd / && HOME="$tmp/home" "$inst" --lang pt-BR lab) >"$tmp/o" 2>&1
has "installed: the catalogue under PREFIX" "$tmp/o" "Exercícios (em $tmp/stage/usr/share/mailsim/scenarios/labs)"
(cd / && HOME="$tmp/home" "$inst" lab imap-flag-move --check --db "$tmp/none.db") >"$tmp/o" 2>&1
status "installed: lab finds NAME from /" 2 $?
has "installed: lab finds NAME from /" "$tmp/o" "no lab store $tmp/none.db"

# --- the menu, on a terminal (tmux): from /, installed; and the lone copy
if command -v tmux >/dev/null 2>&1; then
	# one tmux server per start (a fresh socket: no race with the one dying)
	n=0
	sock=mailsim-find-$$-0
	T() { tmux -L "$sock" -f /dev/null "$@"; }
	trap 'T kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
	# menu NAME BINARY TEXT: the binary's menu, started in /, shows TEXT
	menu() {
		T kill-server >/dev/null 2>&1
		n=$((n + 1))
		sock=mailsim-find-$$-$n
		T new-session -d -x 100 -y 30 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e HOME="$tmp/home" \
			"cd / && '$2'; echo \"EXIT=\$?\"; sleep 3600"
		end=$(($(date +%s) + PATIENCE))
		until T capture-pane -p -J 2>/dev/null | grep -qF -- "$3"; do
			if [ "$(date +%s)" -ge "$end" ]; then
				bad "$1: no '$3' on the screen:"; T capture-pane -p -J
				return
			fi
			sleep 0.1
		done
		ok
	}
	menu "installed: the menu from /" "$inst" "pop3-vs-imap.scn"
	T send-keys q
	if [ ! -d /usr/local/share/mailsim ]; then
		menu "lone: no lessons, where" "$tmp/lone/mailsim" \
			"no lessons found in scenarios, $tmp/lone/scenarios, $tmp/share/mailsim/scenarios"
		menu "lone: no lessons, status" "$tmp/lone/mailsim" "EXIT=3"
	fi
	T kill-server >/dev/null 2>&1
else
	echo "tmux not found: the menu is not checked here (apt-get install tmux)"
fi

echo "$passed passed, $failed failed"
