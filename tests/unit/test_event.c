/*
 * test_event.c - the event loop: time order, ties in insertion order,
 * background events, the clock, and cancelling events by id.
 */
#include "event.h"
#include "test.h"

#include <stdlib.h>

static char order[64];
static size_t norder;
static struct evloop *loop_under_test;

static void record(void *arg)
{
	order[norder++] = *(const char *)arg;
}

static void test_time_order(void)
{
	struct evloop l;
	ev_init(&l);
	norder = 0;
	static const char a = 'a', b = 'b', c = 'c', d = 'd';
	ev_at(&l, 300, record, (void *)&c);
	ev_at(&l, 100, record, (void *)&a);
	ev_at(&l, 200, record, (void *)&b);
	ev_at(&l, 400, record, (void *)&d);
	while (ev_step(&l))
		;
	order[norder] = '\0';
	CHECK_STR(order, "abcd");
	CHECK_INT(l.now_us, 400);
	ev_free(&l);
}

static void test_ties_keep_insertion_order(void)
{
	struct evloop l;
	ev_init(&l);
	norder = 0;
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	for (size_t i = 0; i < 26; i++)
		ev_at(&l, 50, record, (void *)&letters[i]);
	while (ev_step(&l))
		;
	order[norder] = '\0';
	CHECK_STR(order, letters);
	ev_free(&l);
}

static void reschedule(void *arg)
{
	(void)arg;
	static const char x = 'x';
	record((void *)&x);
	/* an event scheduled in the past runs now, never earlier */
	ev_at(loop_under_test, 0, record, (void *)"y");
}

static void test_past_is_now(void)
{
	struct evloop l;
	ev_init(&l);
	loop_under_test = &l;
	norder = 0;
	ev_at(&l, 1000, reschedule, NULL);
	ev_step(&l);
	CHECK_INT(l.now_us, 1000);
	ev_step(&l);
	CHECK_INT(l.now_us, 1000);
	order[norder] = '\0';
	CHECK_STR(order, "xy");
	ev_free(&l);
}

static void test_background_count(void)
{
	struct evloop l;
	ev_init(&l);
	norder = 0;
	static const char a = 'a', b = 'b';
	ev_after_bg(&l, 10, record, (void *)&a);
	CHECK_INT(l.nfg, 0);
	CHECK(!ev_empty(&l));
	ev_after(&l, 20, record, (void *)&b);
	CHECK_INT(l.nfg, 1);
	ev_step(&l); /* the background one comes first: it is earlier */
	CHECK_INT(l.nfg, 1);
	ev_step(&l);
	CHECK_INT(l.nfg, 0);
	CHECK(ev_empty(&l));
	ev_free(&l);
}

static void test_many_events(void)
{
	struct evloop l;
	ev_init(&l);
	norder = 0;
	/* a pseudo-random order of times; popping must give them sorted */
	uint64_t x = 12345;
	for (int i = 0; i < 10000; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		ev_at(&l, (int64_t)(x >> 40), record, (void *)"z");
	}
	int64_t last = -1;
	bool sorted = true;
	while (!ev_empty(&l)) {
		norder = 0;
		ev_step(&l);
		if (l.now_us < last)
			sorted = false;
		last = l.now_us;
	}
	CHECK(sorted);
	ev_free(&l);
}

static void test_cancel(void)
{
	struct evloop l;
	ev_init(&l);
	norder = 0;
	static const char a = 'a', b = 'b', c = 'c', d = 'd', e = 'e';
	ev_id ia = ev_at(&l, 30, record, (void *)&a);
	ev_id ib = ev_at(&l, 10, record, (void *)&b);
	ev_at(&l, 20, record, (void *)&c);
	ev_id id = ev_at(&l, 10, record, (void *)&d);
	ev_at(&l, 20, record, (void *)&e);
	CHECK(ia != 0 && ib != 0 && id != 0 && ia != ib && ib != id);
	CHECK(ev_cancel(&l, id));
	CHECK(ev_cancel(&l, ia));
	CHECK(!ev_cancel(&l, ia)); /* once is enough */
	CHECK_INT(l.n, 3);
	CHECK_INT(l.nfg, 3);
	while (ev_step(&l))
		;
	order[norder] = '\0';
	CHECK_STR(order, "bce");
	/* a cancelled event neither runs nor moves the clock */
	CHECK_INT(l.now_us, 20);
	CHECK_INT(l.ran, 3);
	CHECK(!ev_cancel(&l, ib)); /* it has run */
	CHECK(!ev_cancel(&l, 0));  /* 0 names no event */
	ev_free(&l);
}

static void test_cancel_stale_id(void)
{
	struct evloop l;
	ev_init(&l);
	norder = 0;
	static const char a = 'a', b = 'b';
	ev_id old = ev_at(&l, 10, record, (void *)&a);
	CHECK(ev_cancel(&l, old));
	/* the new event may take the old one's slot, never its id */
	ev_id fresh = ev_at(&l, 10, record, (void *)&b);
	CHECK(fresh != old);
	CHECK(!ev_cancel(&l, old));
	CHECK_INT(l.n, 1);
	ev_step(&l);
	order[norder] = '\0';
	CHECK_STR(order, "b");
	ev_free(&l);
}

static void test_cancel_background(void)
{
	struct evloop l;
	ev_init(&l);
	static const char a = 'a';
	ev_id fg = ev_after(&l, 10, record, (void *)&a);
	ev_id bg = ev_after_bg(&l, 5, record, (void *)&a);
	CHECK_INT(l.nfg, 1);
	CHECK(ev_cancel(&l, bg));
	CHECK_INT(l.nfg, 1); /* a background event was never counted */
	CHECK(ev_cancel(&l, fg));
	CHECK_INT(l.nfg, 0);
	CHECK(ev_empty(&l));
	CHECK(!ev_step(&l));
	CHECK_INT(l.now_us, 0);
	ev_free(&l);
}

/* An event that cancels another, and tries to cancel itself. */
static ev_id cancel_victim, cancel_self;
static bool cancel_victim_ok, cancel_self_ok;

static void cancel_others(void *arg)
{
	record(arg);
	cancel_victim_ok = ev_cancel(loop_under_test, cancel_victim);
	cancel_self_ok = ev_cancel(loop_under_test, cancel_self);
}

static void test_cancel_from_an_event(void)
{
	struct evloop l;
	ev_init(&l);
	loop_under_test = &l;
	norder = 0;
	static const char x = 'x', v = 'v', w = 'w';
	cancel_self = ev_at(&l, 10, cancel_others, (void *)&x);
	cancel_victim = ev_at(&l, 10, record, (void *)&v);
	ev_at(&l, 20, record, (void *)&w);
	while (ev_step(&l))
		;
	order[norder] = '\0';
	CHECK_STR(order, "xw");
	CHECK(cancel_victim_ok);
	CHECK(!cancel_self_ok); /* the running event is out of the heap */
	ev_free(&l);
}

/* Many events, many ties, a third cancelled: the others run exactly as
 * they would have without the cancelled ones, by (time, insertion order). */
#define MANY 5000
static int many_index[MANY], many_ran[MANY];
static size_t nmany_ran;

static void record_index(void *arg)
{
	many_ran[nmany_ran++] = *(const int *)arg;
}

static int64_t many_t[MANY];

static int by_time_then_index(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	if (many_t[a] != many_t[b])
		return many_t[a] < many_t[b] ? -1 : 1;
	return a - b;
}

static void test_cancel_many(void)
{
	struct evloop l;
	ev_init(&l);
	static ev_id ids[MANY];
	static int expect[MANY];
	size_t nexpect = 0;
	uint64_t x = 777;
	for (int i = 0; i < MANY; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		many_t[i] = (int64_t)(x >> 54); /* 0..1023: many ties */
		many_index[i] = i;
		ids[i] = ev_at(&l, many_t[i], record_index, &many_index[i]);
	}
	for (int i = 0; i < MANY; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		if ((x >> 33) % 3 == 0)
			CHECK(ev_cancel(&l, ids[i]));
		else
			expect[nexpect++] = i;
	}
	qsort(expect, nexpect, sizeof *expect, by_time_then_index);
	CHECK_INT(l.n, nexpect);
	nmany_ran = 0;
	while (ev_step(&l))
		;
	CHECK_INT(nmany_ran, nexpect);
	CHECK(memcmp(many_ran, expect, nexpect * sizeof *expect) == 0);
	ev_free(&l);
}

int main(void)
{
	RUN(test_time_order);
	RUN(test_ties_keep_insertion_order);
	RUN(test_past_is_now);
	RUN(test_background_count);
	RUN(test_many_events);
	RUN(test_cancel);
	RUN(test_cancel_stale_id);
	RUN(test_cancel_background);
	RUN(test_cancel_from_an_event);
	RUN(test_cancel_many);
	return TEST_END();
}
