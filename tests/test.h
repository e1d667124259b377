/*
 * test.h - the smallest useful unit-test harness.
 *
 * A test is a function; RUN(fn) runs it and counts it passed if none of its
 * CHECKs failed.  A failed CHECK prints FILE:LINE and what differed, and the
 * test goes on (so one run shows every failure).  TEST_END() prints the
 * closing line "N passed, N failed" and returns the exit status.
 */
#ifndef MAILSIM_TEST_H
#define MAILSIM_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed, test_current_failed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			test_current_failed = 1;                                 \
		}                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                          \
	do {                                                                     \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);  \
		if (check_a_ != check_b_) {                                      \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",    \
				__FILE__, __LINE__, #a, check_a_, check_b_);     \
			test_current_failed = 1;                                 \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *check_a_ = (a), *check_b_ = (b);                     \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) { \
			fprintf(stderr, "%s:%d: %s is\n  \"%s\"\nexpected\n  \"%s\"\n", \
				__FILE__, __LINE__, #a,                          \
				check_a_ ? check_a_ : "(null)",                  \
				check_b_ ? check_b_ : "(null)");                 \
			test_current_failed = 1;                                 \
		}                                                                \
	} while (0)

/* Does haystack contain needle? */
#define CHECK_CONTAINS(hay, needle)                                              \
	do {                                                                     \
		const char *check_h_ = (hay), *check_n_ = (needle);              \
		if (!check_h_ || !strstr(check_h_, check_n_)) {                  \
			fprintf(stderr, "%s:%d: %s does not contain \"%s\":\n%s\n", \
				__FILE__, __LINE__, #hay, check_n_,              \
				check_h_ ? check_h_ : "(null)");                 \
			test_current_failed = 1;                                 \
		}                                                                \
	} while (0)

#define RUN(fn)                                                                  \
	do {                                                                     \
		test_current_failed = 0;                                         \
		fn();                                                            \
		if (test_current_failed) {                                       \
			test_failed++;                                           \
			fprintf(stderr, "FAIL %s\n", #fn);                       \
		} else {                                                         \
			test_passed++;                                           \
		}                                                                \
	} while (0)

#define TEST_END()                                                               \
	(printf("%d passed, %d failed\n", test_passed, test_failed),             \
	 test_failed ? 1 : 0)

#endif
