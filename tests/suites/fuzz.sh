#!/bin/sh
# The fuzz corpora and crash reproducers, replayed once each: every file of
# tests/fuzz/corpus/TARGET/ and tests/fuzz/crashes/TARGET/ is given to
# that target's replay driver (BUILD/fuzz/replay_TARGET, built by
# `make tests-bin` with the normal compiler: no clang needed).  One check
# per file; under `make check` the sanitizers watch every one.
# tests/fuzz/crashes-pending/ (bugs not fixed yet) is not replayed.
mailsim=${1:-./mailsim}
passed=0
failed=0

# The replay drivers live next to the mailsim being tested: build/san for
# ./build/san/mailsim, else build/release.
dir=$(dirname "$mailsim")
if [ -n "$FUZZ_REPLAY_DIR" ]; then
	bin=$FUZZ_REPLAY_DIR
elif [ -d "$dir/fuzz" ]; then
	bin=$dir/fuzz
else
	bin=build/release/fuzz
fi

# replay TARGET FILE...: all in one process; if that fails, each file alone
# to name the ones that fail.
replay() {
	t=$1
	shift
	[ $# -eq 0 ] && return
	if [ ! -x "$bin/replay_$t" ]; then
		echo "FAIL $t: no replay driver $bin/replay_$t (make tests-bin)"
		failed=$((failed + $#))
		return
	fi
	if "$bin/replay_$t" "$@" >/dev/null 2>&1; then
		passed=$((passed + $#))
		return
	fi
	for f in "$@"; do
		if "$bin/replay_$t" "$f" >/tmp/fuzz-replay.$$ 2>&1; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL $t $f"
			grep -E 'ERROR|SUMMARY|runtime error' /tmp/fuzz-replay.$$ | head -n 5 | sed 's/^/    /'
		fi
	done
	rm -f /tmp/fuzz-replay.$$
}

for d in tests/fuzz/corpus/*/ tests/fuzz/crashes/*/; do
	[ -d "$d" ] || continue
	t=$(basename "$d")
	# shellcheck disable=SC2046
	set -- $(find "$d" -type f ! -name '.*' ! -name 'README*' | sort)
	replay "$t" "$@"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
