/*
 * test_event.c - the event loop: time order, ties in insertion order,
 * background events, and the clock.
 */
#include "event.h"
#include "test.h"

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

int main(void)
{
	RUN(test_time_order);
	RUN(test_ties_keep_insertion_order);
	RUN(test_past_is_now);
	RUN(test_background_count);
	RUN(test_many_events);
	return TEST_END();
}
