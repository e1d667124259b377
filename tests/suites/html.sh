#!/bin/sh
# The handout (run --html / --svg, export): for every shipped lesson the
# page passes tests/html_check.py (well-formed HTML5, known elements, lang,
# charset, title, no external URL, unique ids, every #anchor exists) and
# the SVG file too; headless Chromium opens the page, and its DOM holds one
# arrow per protocol line of the --json trace and every note; a screenshot
# is a PNG that is not all one colour; two runs write the same bytes; the
# pt-BR page says lang="pt-BR" with Portuguese labels; export --step N
# holds the arrows of the first N steps only; message lines that look like
# markup are escaped.
#
#   sh tests/suites/html.sh [MAILSIM]
mailsim=${1:-./mailsim}
. tests/suitelib.sh
check=tests/html_check.py

chromium=
for c in chromium chromium-browser; do
	command -v "$c" >/dev/null 2>&1 && chromium=$c && break
done
if [ -z "$chromium" ]; then
	echo "SKIP the Chromium checks: chromium is not installed (apt-get install chromium)"
fi
# Chromium wants a home and a profile of its own, never the user's
mkdir -p "$tmp/home"
# chrome PROFILE ARGS...: each run its own profile, so that runs can overlap
chrome() {
	profile=$1
	shift
	HOME="$tmp/home" timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/home/$profile" --no-first-run --disable-extensions "$@" \
		2>>"$tmp/chromium.$profile.log"
}

for scn in scenarios/*.scn; do
	name=$(basename "$scn" .scn)
	"$mailsim" run --html "$tmp/$name.html" --svg "$tmp/$name.svg" "$scn" >/dev/null
	if [ ! -s "$tmp/$name.html" ] || [ ! -s "$tmp/$name.svg" ]; then
		bad "$name: run --html --svg wrote no files"
		continue
	fi
	if out=$(python3 $check "$tmp/$name.html"); then ok; else bad "$name: html_check: $out"; fi
	if out=$(python3 $check --svg "$tmp/$name.svg"); then ok; else bad "$name: svg: $out"; fi
	"$mailsim" run --json "$scn" >"$tmp/$name.jsonl"
	# the page itself: an arrow per line, every note
	if out=$(python3 $check --dom "$tmp/$name.html" "$tmp/$name.jsonl"); then
		ok
	else
		bad "$name: page: $out"
	fi
	# the same bytes again
	"$mailsim" run --html "$tmp/again.html" --svg "$tmp/again.svg" "$scn" >/dev/null
	if cmp -s "$tmp/$name.html" "$tmp/again.html" && cmp -s "$tmp/$name.svg" "$tmp/again.svg"; then
		ok
	else
		bad "$name: two runs wrote different handouts"
	fi
done

# Chromium opens each page ($tmp: mktemp -d, an absolute path); four at a
# time, a lesson's page and the DOM it made
if [ -n "$chromium" ]; then
	export tmp chromium # for the sh -c of xargs
	for scn in scenarios/*.scn; do basename "$scn" .scn; done |
		xargs -P 4 -I{} sh -c 'HOME="$tmp/home" timeout 120 "$chromium" --headless --no-sandbox \
			--disable-gpu --user-data-dir="$tmp/home/{}" --no-first-run --disable-extensions \
			--dump-dom "file://$tmp/{}.html" >"$tmp/{}.dom" 2>>"$tmp/chromium.{}.log"'
	for scn in scenarios/*.scn; do
		name=$(basename "$scn" .scn)
		if [ ! -s "$tmp/$name.dom" ]; then
			bad "$name: chromium --dump-dom gave nothing"
		elif out=$(python3 $check --dom "$tmp/$name.dom" "$tmp/$name.jsonl"); then
			ok
		else
			bad "$name: chromium's DOM: $out"
		fi
	done
fi

# a screenshot of one lesson: a PNG, not all one colour
if [ -n "$chromium" ]; then
	chrome shot --screenshot="$tmp/shot.png" --window-size=1000,700 "file://$tmp/starttls.html" >/dev/null
	if [ ! -s "$tmp/shot.png" ]; then
		bad "chromium --screenshot wrote no file"
	elif out=$(python3 $check --png "$tmp/shot.png"); then
		ok
	else
		bad "screenshot: $out"
	fi
fi

# export --step N: the arrows of the first N steps only; all steps: run's page
"$mailsim" export --step 30 --html "$tmp/e30.html" --svg "$tmp/e30.svg" scenarios/smtp-send.scn
if out=$(python3 $check --dom "$tmp/e30.html" "$tmp/smtp-send.jsonl" 30); then ok; else bad "export --step 30: $out"; fi
if python3 $check "$tmp/e30.html" >/dev/null && python3 $check --svg "$tmp/e30.svg" >/dev/null; then
	ok
else
	bad "export --step 30: the files do not validate"
fi
"$mailsim" export --html "$tmp/eall.html" scenarios/smtp-send.scn
if cmp -s "$tmp/eall.html" "$tmp/smtp-send.html"; then ok; else bad "export without --step differs from run --html"; fi
"$mailsim" export --step 0 --html "$tmp/e0.html" scenarios/smtp-send.scn
if python3 $check --dom "$tmp/e0.html" "$tmp/smtp-send.jsonl" 0 >/dev/null; then ok; else bad "export --step 0"; fi
if "$mailsim" export scenarios/smtp-send.scn 2>/dev/null; then bad "export without a file to write succeeded"; else ok; fi

# Portuguese: the lang attribute, the labels, the lesson's own pt-BR texts
"$mailsim" --lang pt-BR run --html "$tmp/pt.html" scenarios/smtp-send.scn >/dev/null
if grep -q '<html lang="pt-BR">' "$tmp/pt.html" && grep -q 'Diagrama de sequência' "$tmp/pt.html" &&
	grep -q 'Caixas de correio' "$tmp/pt.html" && grep -q 'Alice escreve para Bob' "$tmp/pt.html" &&
	grep -q '>portas 587<' "$tmp/pt.html"; then
	ok
else
	bad "the pt-BR page lacks lang=pt-BR or its Portuguese labels"
fi
if grep -q '<html lang="en">' "$tmp/smtp-send.html" && grep -q 'Sequence diagram' "$tmp/smtp-send.html"; then
	ok
else
	bad "the English page lacks lang=en or its labels"
fi
if python3 $check "$tmp/pt.html" >/dev/null; then ok; else bad "the pt-BR page does not validate"; fi

# markup in a message is text on the page
cat >"$tmp/markup.scn" <<'SCN'
seed 3
domain a.example server mx.a.example
domain b.example server mx.b.example
user x@a.example password x
user y@b.example password y
device px owner x@a.example
note "a <note> & \"quotes\""
send px to y@b.example subject "<b>bold</b> & 'q'" body "</details></svg><script>alert(1)</script>\nline & <i>"
wait idle
expect mailbox y@b.example count 1
SCN
"$mailsim" run --html "$tmp/markup.html" --svg "$tmp/markup.svg" "$tmp/markup.scn" >/dev/null
"$mailsim" run --json "$tmp/markup.scn" >"$tmp/markup.jsonl"
if python3 $check "$tmp/markup.html" >/dev/null && python3 $check --svg "$tmp/markup.svg" >/dev/null &&
	python3 $check --dom "$tmp/markup.html" "$tmp/markup.jsonl" >/dev/null; then
	ok
else
	bad "markup in a message: $(python3 $check "$tmp/markup.html")"
fi
if grep -q '<script>alert' "$tmp/markup.html" || ! grep -q '&lt;script&gt;alert' "$tmp/markup.html"; then
	bad "a message's <script> reached the page unescaped"
else
	ok
fi
if grep -q '&lt;b&gt;bold&lt;/b&gt; &amp; &#39;q&#39;' "$tmp/markup.html"; then ok; else bad "the subject is not escaped in the mailbox table"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
