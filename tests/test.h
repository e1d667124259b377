/*
 * test.h - the smallest useful unit-test harness.
 *
 * A test is a function; RUN(fn) runs it and counts it passed if none of its
 * CHECKs failed.  A failed CHECK prints FILE:LINE and what differed, and the
 * test goes on (so one run shows every failure).  A failed test then prints
 * one line "FAIL fn (FILE:LINE of its first failed check)": tests/run.sh
 * gathers those lines into its summary.  TEST_END() prints the closing line
 * "N passed, N failed" and returns the exit status.
 */
#ifndef MAILSIM_TEST_H
#define MAILSIM_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed, test_current_failed;
static const char *test_first_file; /* where the running test first failed */
static int test_first_line;

/* Note a failed check at FILE:LINE (the first one is the one RUN names). */
#define TEST_FAILED_AT(file, line)                                               \
	do {                                                                     \
		if (!test_current_failed) {                                      \
			test_first_file = (file);                                \
			test_first_line = (line);                                \
		}                                                                \
		test_current_failed = 1;                                         \
	} while (0)

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			TEST_FAILED_AT(__FILE__, __LINE__);                      \
		}                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                          \
	do {                                                                     \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);  \
		if (check_a_ != check_b_) {                                      \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",    \
				__FILE__, __LINE__, #a, check_a_, check_b_);     \
			TEST_FAILED_AT(__FILE__, __LINE__);                      \
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
			TEST_FAILED_AT(__FILE__, __LINE__);                      \
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
			TEST_FAILED_AT(__FILE__, __LINE__);                      \
		}                                                                \
	} while (0)

#define RUN(fn)                                                                  \
	do {                                                                     \
		test_current_failed = 0;                                         \
		test_first_file = "?";                                           \
		test_first_line = 0;                                             \
		fn();                                                            \
		if (test_current_failed) {                                       \
			test_failed++;                                           \
			fprintf(stderr, "FAIL %s (%s:%d)\n", #fn,               \
				test_first_file, test_first_line);               \
		} else {                                                         \
			test_passed++;                                           \
		}                                                                \
	} while (0)

#define TEST_END()                                                               \
	(printf("%d passed, %d failed\n", test_passed, test_failed),             \
	 test_failed ? 1 : 0)

#endif
