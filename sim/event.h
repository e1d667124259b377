/*
 * event.h - the discrete-event loop on a simulated clock.
 *
 * Events sit in a binary heap ordered by time, then by the order in which
 * they were scheduled: two events at the same instant always run in the
 * order they were added, so a run is deterministic.  The clock jumps from
 * one event to the next; nothing here reads the wall clock.
 */
#ifndef MAILSIM_EVENT_H
#define MAILSIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ev_fn)(void *arg);

struct ev {
	int64_t t_us;  /* when, in simulated microseconds */
	uint64_t seq;  /* insertion order: the tie-breaker */
	ev_fn fn;
	void *arg;
	bool background; /* a timer that does not keep the world busy */
};

struct evloop {
	struct ev *heap;
	size_t n, cap;
	uint64_t seq;
	int64_t now_us; /* the simulated clock */
	size_t nfg;     /* events scheduled that are not background */
	uint64_t ran;   /* events run so far */
};

void ev_init(struct evloop *l);
void ev_free(struct evloop *l);
/* Run fn(arg) at simulated time t (never earlier than now). */
void ev_at(struct evloop *l, int64_t t_us, ev_fn fn, void *arg);
void ev_after(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg);
/* A background event (an idle timeout, say): it runs in its turn, but the
 * world counts as idle while only background events are left. */
void ev_after_bg(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg);
/* Run the next event, advancing the clock; false if there is none. */
bool ev_step(struct evloop *l);
bool ev_empty(const struct evloop *l);

#define US_PER_MS INT64_C(1000)
#define US_PER_SEC INT64_C(1000000)

#endif
