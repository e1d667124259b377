#!/bin/sh
# Portuguese (issue 12): the catalogue is complete and well formed, the
# language follows --lang and the environment as gettext does, English
# stays English, and a run in Portuguese is still deterministic, with the
# protocol and the numbers untouched.
#
#   sh tests/suites/i18n.sh MAILSIM
. tests/suitelib.sh
m=${1:-./mailsim}

# --- the catalogue: every string marked in the sources today (a fresh
# xgettext, not the committed template) has its translation, none fuzzy
make --no-print-directory -s pot POT="$tmp/mailsim.pot" >/dev/null 2>&1 ||
	bad "catalogue: xgettext failed"
msgmerge -q --no-fuzzy-matching po/pt_BR.po "$tmp/mailsim.pot" -o "$tmp/merged.po" 2>"$tmp/err" ||
	bad "catalogue: msgmerge failed: $(cat "$tmp/err")"
if msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2>"$tmp/stats"; then ok; else
	bad "catalogue: msgfmt --check: $(cat "$tmp/stats")"; fi
if grep -q 'untranslated\|fuzzy' "$tmp/stats"; then
	bad "catalogue complete: $(cat "$tmp/stats")"
	msgattrib --untranslated --only-fuzzy "$tmp/merged.po" 2>/dev/null | grep '^msgid' | head -n 5
	msgattrib --untranslated "$tmp/merged.po" 2>/dev/null | grep '^msgid' | head -n 5
else ok; fi
# the committed po/pt_BR.po itself has no fuzzy entry
if msgfmt --check --statistics -o /dev/null po/pt_BR.po 2>&1 | grep -q fuzzy; then
	bad "po/pt_BR.po has fuzzy entries"; else ok; fi

# --- every string a person reads is marked (tests/i18n_lint.py knows the
# channels: notes, printing, the terminal, events, errors), and the lint
# itself finds a planted one
if python3 tests/i18n_lint.py . >"$tmp/lint" 2>&1; then ok; else
	bad "strings not marked for translation:"
	head -n 20 "$tmp/lint"
fi
mkdir -p "$tmp/plant"
cp -r protocols sim ui "$tmp/plant/"
printf '\nvoid planted(void);\nvoid planted(void)\n{\n\tfputs("a sentence nobody marked\\n", stderr);\n}\n' >>"$tmp/plant/ui/views.c"
if python3 tests/i18n_lint.py "$tmp/plant" 2>&1 | grep -q 'ui/views.c:.*a sentence nobody marked'; then ok; else
	bad "the lint misses a planted unmarked fputs"; fi

# --- the language: --lang, then LANGUAGE, LC_ALL, LC_MESSAGES, LANG
pt='opções de todos os comandos'
en='options of every command'
says() { # says NAME TEXT CMD...: CMD's --help output holds TEXT
	name=$1 text=$2
	shift 2
	if "$@" 2>&1 | grep -qF "$text"; then ok; else bad "$name: no '$text'"; fi
}
says "--lang pt-BR" "$pt" "$m" --lang pt-BR --help
says "--lang=pt_BR after the command" "$pt" "$m" help --lang=pt_BR
says "--lang en" "$en" env LANG=pt_BR.UTF-8 "$m" --lang en --help
says "LANG=pt_BR.UTF-8" "$pt" env -u LC_ALL -u LANGUAGE LANG=pt_BR.UTF-8 "$m" --help
says "LC_ALL before LANG" "$en" env -u LANGUAGE LC_ALL=C LANG=pt_BR.UTF-8 "$m" --help
says "LANGUAGE first" "$pt" env LANGUAGE=pt_BR LC_ALL=C.UTF-8 "$m" --help
says "LANG=C stays English" "$en" env -u LC_ALL -u LANGUAGE LANG=C "$m" --help
"$m" --lang xx --help >/dev/null 2>"$tmp/err"
st=$?
if [ "$st" -eq 2 ] && grep -q "pt-BR or en" "$tmp/err"; then ok; else
	bad "--lang xx: exit $st, $(cat "$tmp/err")"; fi

# --- a run in Portuguese: the same bytes twice, times with a point, the
# protocol in English
# words_out: JSON Lines on stdin without the words a person reads (note,
# detail): what is left is the protocol, the same in every language
words_out() {
	python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    r.pop("note", None)
    r.pop("detail", None)
    print(json.dumps(r, sort_keys=True))
'
}
for f in scenarios/smtp-send.scn scenarios/pop3-download-and-delete.scn; do
	"$m" run --lang pt-BR "$f" >"$tmp/a" 2>&1
	"$m" run --lang pt-BR "$f" >"$tmp/b" 2>&1
	if cmp -s "$tmp/a" "$tmp/b"; then ok; else bad "$f in pt-BR: two runs differ"; fi
	if grep -q ' [0-9]*\.[0-9][0-9][0-9]s ' "$tmp/a" && ! grep -q ' [0-9]*,[0-9][0-9][0-9]s ' "$tmp/a"
	then ok; else bad "$f in pt-BR: times not written 0.000s"; fi
	"$m" run --json --lang pt-BR "$f" | words_out >"$tmp/pj"
	"$m" run --json "$f" | words_out >"$tmp/ej"
	if cmp -s "$tmp/pj" "$tmp/ej"; then ok; else
		bad "$f: the protocol lines differ between pt-BR and en"
		diff "$tmp/ej" "$tmp/pj" | head -n 6
	fi
done

# --- golden transcripts in Portuguese (tests/golden/pt_BR; UPDATE_GOLDEN=1
# writes them): four lessons, and the lab's exercises with their tasks
g=tests/golden/pt_BR
golden_pt() { # golden_pt NAME CMD...: CMD's output is $g/NAME.out
	name=$1
	shift
	"$@" >"$tmp/$name.out" 2>&1
	if [ -n "$UPDATE_GOLDEN" ]; then
		mkdir -p "$g" && cp "$tmp/$name.out" "$g/$name.out" && ok
	elif cmp -s "$tmp/$name.out" "$g/$name.out"; then ok; else
		bad "pt-BR golden $name differs from $g/$name.out"
		diff "$g/$name.out" "$tmp/$name.out" | head -n 20
	fi
}
golden_pt smtp-send "$m" run --lang pt-BR scenarios/smtp-send.scn
golden_pt pop3-download-and-delete "$m" run --lang pt-BR scenarios/pop3-download-and-delete.scn
golden_pt spoofing "$m" run --lang pt-BR scenarios/spoofing.scn
golden_pt dkim-signature "$m" run --lang pt-BR scenarios/dkim-signature.scn
golden_pt lab-list "$m" lab --lang pt-BR
if grep -q 'ã\|ç\|é' "$g/smtp-send.out"; then ok; else bad "pt-BR golden without accents"; fi

echo "$passed passed, $failed failed"
