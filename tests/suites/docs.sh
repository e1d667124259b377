#!/bin/sh
# The documentation's links lead somewhere: every relative markdown link,
# [text](target), in README.md and docs/*.md names a file or folder of the
# repository (read from the linking file's folder; web and mail addresses
# are not checked), and a link to #a-heading of the same file names one of
# its headings (as GitHub spells them: lower case, punctuation dropped,
# spaces as '-').  Planted broken links must be caught, so the check itself
# is checked.
#
#   sh tests/suites/docs.sh [MAILSIM]   (MAILSIM is not used)
. tests/suitelib.sh

# links FILE: the targets of FILE's markdown links, one a line
links() {
	grep -o '\]([^)]*)' "$1" | sed 's/^](//; s/)$//; s/[[:space:]].*$//'
}

# anchors FILE: the anchors of FILE's headings, one a line
anchors() {
	grep '^#' "$1" | sed 's/^#* *//' | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9 _\n-' | tr ' ' '-'
}

# missing FILE: print each relative link of FILE whose target is not there
missing() {
	dir=$(dirname "$1")
	links "$1" | while IFS= read -r target; do
		case $target in
		'' | http://* | https://* | mailto:*) continue ;;
		'#'*)
			anchors "$1" | grep -qxF -- "${target#\#}" || echo "$1: $target"
			continue
			;;
		esac
		path=${target%%#*}
		[ -e "$dir/$path" ] || echo "$1: $target"
	done
}

for f in README.md docs/*.md; do
	missing "$f" >"$tmp/missing"
	if [ -s "$tmp/missing" ]; then
		bad "$f links to what is not there:"; cat "$tmp/missing"
	else ok; fi
done

# the README links the scenario reference
if links README.md | grep -qx 'docs/SCENARIOS.md'; then ok; else
	bad "README.md does not link docs/SCENARIOS.md"; fi

# the check catches a broken link, and takes a good one with a fragment
mkdir -p "$tmp/docs"
printf '# The Top, part 1\nSee [the schema](SCHEMA.md#tables), [gone](NOPE.md),\n[up](#the-top-part-1) and [nowhere](#the-bottom).\n' >"$tmp/docs/t.md"
: >"$tmp/docs/SCHEMA.md"
missing "$tmp/docs/t.md" >"$tmp/missing"
printf '%s\n' "$tmp/docs/t.md: NOPE.md" "$tmp/docs/t.md: #the-bottom" >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/missing"; then ok; else
	bad "planted broken links: expected NOPE.md and #the-bottom, got:"; cat "$tmp/missing"; fi

echo "$passed passed, $failed failed"
