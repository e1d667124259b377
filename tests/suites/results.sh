#!/bin/sh
# The store's results cannot be ignored.  Every function of sim/store.h that
# can fail returns an enum store_result marked STORE_MUST_CHECK
# (warn_unused_result): a call that drops the result does not compile with
# the project's -Werror, and the same call that looks at it does.
#
#   sh tests/suites/results.sh [MAILSIM]   (MAILSIM is not used; CC is)
cc=${CC:-cc}
. tests/suitelib.sh

compile() {
	"$cc" -std=c17 -Wall -Wextra -Werror -Isim -c -o "$tmp/out.o" "$1" >"$tmp/err" 2>&1
}

# One result type: no store function returns a bare int, and every one that
# returns an enum store_result is marked (the line above it).
if grep -n '^int store_' sim/store.h >"$tmp/ints"; then
	bad "store.h: functions that return int, not enum store_result:"; cat "$tmp/ints"
else ok; fi
if awk 'prev != "STORE_MUST_CHECK" && /^enum store_result store_/ { print FILENAME ":" FNR ": " $0; n++ }
	{ prev = $0 } END { exit n > 0 }' sim/store.h >"$tmp/unmarked"; then ok; else
	bad "store.h: results that may be ignored (no STORE_MUST_CHECK):"; cat "$tmp/unmarked"; fi

# A result looked at compiles...
cat >"$tmp/checked.c" <<'C'
#include "store.h"
int commit_checked(struct store *st);
int commit_checked(struct store *st)
{
	return store_commit(st) == STORE_OK ? 0 : -1;
}
C
if compile "$tmp/checked.c"; then ok; else bad "a checked result does not compile:"; cat "$tmp/err"; fi

# ... a result dropped does not: the calls whose results went unchecked
# before there was an enum, a commit in the relay path among them.
for call in 'store_begin(st)' 'store_commit(st)' 'store_queue_remove_rcpt(st, 1, "b@example.net")' \
	    'store_queue_delete(st, 1)' 'store_queue_reschedule(st, 1, 1, 0, NULL)' \
	    'store_folder_stats(st, 1, NULL, NULL, NULL)' 'store_device_folder_clear(st, 1, "INBOX")'; do
	printf '#include "store.h"\nvoid dropped(struct store *st);\nvoid dropped(struct store *st)\n{\n\t%s;\n}\n' \
		"$call" >"$tmp/dropped.c"
	if compile "$tmp/dropped.c"; then
		bad "$call: its result can be ignored"
	elif grep -q 'unused.result' "$tmp/err"; then
		ok
	else
		bad "$call: does not compile, but not for an ignored result:"; cat "$tmp/err"
	fi
done

echo "$passed passed, $failed failed"
