#!/bin/sh
# No circle inside sim/: the modules of sim/ call each other one way.  The
# call graph is read from the objects: a module calls another when one of
# its objects needs (nm: U) a symbol that the other's objects define.  A
# family of files (store.o and store_*.o, scenario.o and scenario_*.o) is
# one module here; inside a family the files call one way too.  A cycle is
# reported as "FAIL calls: a -> b -> a", the calls behind each step under
# it.  Then two calls that close a circle are put into a copy of the
# objects, and each must be caught.
#
#   sh tests/suites/calls.sh [MAILSIM]
# The objects are in $BUILD/sim if BUILD is set, else beside MAILSIM
# (./build/san/mailsim: build/san/sim), else in build/release/sim.
cc=${CC:-cc}
ld=${LD:-ld}
. tests/suitelib.sh

build=${BUILD:-}
if [ -z "$build" ] && [ -n "${1:-}" ] && ls "$(dirname "$1")"/sim/*.o >/dev/null 2>&1; then
	build=$(dirname "$1")
fi
build=${build:-build/release}

# edges DIR WHOLE: "FROM TO SYMBOL" for each call between the modules of
# the objects in DIR; with WHOLE=1 a family is one module, with WHOLE=0
# each file is one, and only calls inside a family are listed.
edges() {
	for o in "$1"/*.o; do
		nm -P -g "$o" | awk -v f="$(basename "$o" .o)" '{ print f, $1, $2 }'
	done | awk -v whole="$2" '
	function module(f,   fam) {
		fam = f
		sub(/_.*/, "", fam)
		if (fam == f || !(fam in files))
			return f
		return whole ? fam : f
	}
	function family(f,   fam) {
		fam = f
		sub(/_.*/, "", fam)
		return fam in files ? fam : f
	}
	{ files[$1] = 1; line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			split(line[i], w, " ")
			if (w[3] != "U")
				def[w[2]] = w[1]
		}
		for (i = 1; i <= NR; i++) {
			split(line[i], w, " ")
			if (w[3] != "U" || !(w[2] in def))
				continue
			from = w[1]; to = def[w[2]]
			if (!whole && family(from) != family(to))
				continue
			a = module(from); b = module(to)
			if (a != b)
				print a, b, w[2]
		}
	}' | sort -u
}

# cycles: read "FROM TO SYMBOL" lines; for each set of modules that reach
# each other, print the shortest circle through the first of them by name,
# and the symbols behind each of its steps.
cycles() {
	awk '
	{
		if (($1, $2) in sym) {
			sym[$1, $2] = sym[$1, $2] ", " $3
		} else {
			out[$1] = out[$1] " " $2
			sym[$1, $2] = $3
		}
		node[$1] = 1; node[$2] = 1
	}
	# bfs(a): dist[] and prev[] of the shortest paths from a
	function bfs(a,   q, h, t, u, n, i, v, succ) {
		split("", dist); split("", prev)
		q[1] = a; h = 1; t = 1; dist[a] = 0
		while (h <= t) {
			u = q[h++]
			n = split(out[u], succ, " ")
			for (i = 1; i <= n; i++) {
				v = succ[i]
				if (!(v in dist)) {
					dist[v] = dist[u] + 1; prev[v] = u; q[++t] = v
				}
			}
		}
	}
	# on_circle(a): the node nearest a whose call goes back to a, or ""
	function on_circle(a,   u, best) {
		best = ""
		for (u in dist)
			if ((u, a) in sym && (best == "" || dist[u] < dist[best]))
				best = u
		return best
	}
	END {
		for (a in node) {
			bfs(a)
			for (b in dist)
				reach[a, b] = 1
		}
		for (a in node) {
			first = 1
			for (b in node)
				if (b < a && reach[a, b] && reach[b, a])
					first = 0
			if (!first)
				continue
			bfs(a)
			best = on_circle(a)
			if (best == "")
				continue
			path = a; steps = ""
			for (u = best; u != a; u = prev[u]) {
				path = u " -> " path
				steps = "  " prev[u] " -> " u ": " sym[prev[u], u] "\n" steps
			}
			printf "FAIL calls: %s -> %s\n%s  %s -> %s: %s\n", a, path, steps, best, a,
				sym[best, a]
		}
	}'
}

# acyclic DIR: the call graph of the objects in DIR has no cycle, neither
# between modules nor between the files of a family; each cycle printed.
acyclic() {
	{ edges "$1" 1 | cycles; edges "$1" 0 | cycles; } >"$tmp/cycles"
	cat "$tmp/cycles"
	[ ! -s "$tmp/cycles" ]
}

# The objects as they are.
if ! ls "$build"/sim/*.o >/dev/null 2>&1; then
	bad "calls: no objects in $build/sim (build them first: make tests-bin)"
elif acyclic "$build/sim" >"$tmp/out"; then ok; else
	failed=$((failed + 1)); cat "$tmp/out"; fi
# The graph is not empty: the world's modules call the store and base.c.
if edges "$build/sim" 1 | grep -q '^world base ' && edges "$build/sim" 1 | grep -q ' store '; then
	ok
else bad "calls: the call graph of $build/sim lacks world -> base or a call to the store"; fi

# A copy where FROM.o also calls SYMBOL (a function of TO) must be caught,
# with a circle through FROM -> TO.
try_call() { # FROM SYMBOL TO
	rm -rf "$tmp/sim"
	mkdir "$tmp/sim"
	cp "$build/sim"/*.o "$tmp/sim/"
	printf 'void %s(void);\nvoid calls_probe(void);\nvoid calls_probe(void) { %s(); }\n' \
		"$2" "$2" >"$tmp/probe.c"
	if ! "$cc" -c -o "$tmp/probe.o" "$tmp/probe.c" 2>"$tmp/err" ||
	   ! "$ld" -r -o "$tmp/sim/$1.o" "$build/sim/$1.o" "$tmp/probe.o" 2>>"$tmp/err"; then
		bad "calls: cannot make the probe for $1 -> $3:"; cat "$tmp/err"
		return
	fi
	if acyclic "$tmp/sim" >"$tmp/out"; then
		bad "calls: $1 calling $2 ($3) was not caught"
	elif grep -q "^FAIL calls: .*$1 -> $3\( \|\$\)" "$tmp/out"; then
		ok
	else
		bad "calls: $1 calling $2 ($3) was caught, but no circle shows that call:"
		cat "$tmp/out"
	fi
}
try_call base world_free world
try_call scenario_base scn_parse_string scenario

echo "$passed passed, $failed failed"
