#!/bin/sh
# The layers: protocols/ sees only itself, sim/ sees protocols/, ui/ sees
# both.  Three ways to break the rule are tried on a copy of the sources,
# and each must be caught: by tests/layers.sh reading the #include lines,
# and by the compiler, which gets only the include path of a file's layer
# (make layer-flags LAYER=...).
#
#   sh tests/suites/layers.sh [MAILSIM]   (MAILSIM is not used; CC is)
cc=${CC:-cc}
. tests/suitelib.sh

# The tree as it is keeps the rule.
if sh tests/layers.sh . >"$tmp/out"; then ok; else
	bad "layers: the sources break the layering rule:"; cat "$tmp/out"; fi

# A copy with one wrong include in it does not, and the check names it.
try_include() { # LAYER FILE HEADER
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree"
	cp -R protocols sim ui "$tmp/tree/"
	printf '#include "%s"\n' "$3" >>"$tmp/tree/$1/$2"
	if sh tests/layers.sh "$tmp/tree" >"$tmp/out"; then
		bad "layers: $1/$2 including \"$3\" was not caught"
	elif grep -q "^FAIL $1/$2:[0-9]*: includes \"$3\"" "$tmp/out"; then
		ok
	else
		bad "layers: $1/$2 including \"$3\": the check did not name it:"; cat "$tmp/out"
	fi
}
try_include sim world.h player.h
try_include protocols smtp.h store.h
try_include sim net.c ../ui/view.h

# The compiler refuses what the layer may not see ...
flags() { make -s --no-print-directory layer-flags LAYER="$1"; }
compile() { # LAYER SOURCE
	# shellcheck disable=SC2046 # the flags are words
	"$cc" -std=c17 $(flags "$1") -fsyntax-only "$2" >"$tmp/err" 2>&1
}
refused() { # LAYER HEADER
	printf '#include "%s"\n' "$2" >"$tmp/probe.c"
	if compile "$1" "$tmp/probe.c"; then
		bad "layers: a $1/ file can include \"$2\""
	elif grep -q "$2" "$tmp/err"; then
		ok
	else
		bad "layers: $1/ including \"$2\" fails, but not for the include:"; cat "$tmp/err"
	fi
}
allowed() { # LAYER HEADER
	printf '#include "%s"\n' "$2" >"$tmp/probe.c"
	if compile "$1" "$tmp/probe.c"; then ok; else
		bad "layers: a $1/ file cannot include \"$2\":"; cat "$tmp/err"; fi
}
refused sim player.h
refused sim view.h
refused protocols store.h
refused protocols world.h
refused protocols trace.h
# ... and lets it see what it may.
allowed sim smtp.h
allowed sim world.h
allowed ui world.h
allowed ui player.h
allowed protocols imap.h

echo "$passed passed, $failed failed"
