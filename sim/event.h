/*
 * event.h - the discrete-event loop on a simulated clock.
 *
 * Events sit in a binary heap ordered by time, then by the order in which
 * they were scheduled: two events at the same instant always run in the
 * order they were added, so a run is deterministic.  The clock jumps from
 * one event to the next; nothing here reads the wall clock.
 *
 * Scheduling an event gives its id; ev_cancel(id) takes the event out of the
 * heap before it runs (a timer armed again, a connection gone).  A cancelled
 * event never runs, never moves the clock and is not counted in `ran`; the
 * others keep their order, which depends only on (time, insertion order).
 */
#ifndef MAILSIM_EVENT_H
#define MAILSIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ev_fn)(void *arg);

/* Names one scheduled event until it runs or is cancelled; 0 names none.
 * An id is never reused for another event of the same loop (a slot index
 * in the low 32 bits, the slot's generation in the high 32). */
typedef uint64_t ev_id;

struct ev {
	int64_t t_us;  /* when, in simulated microseconds */
	uint64_t seq;  /* insertion order: the tie-breaker */
	ev_fn fn;
	void *arg;
	uint32_t slot; /* its entry in the slot table, which finds it by id */
	bool background; /* a timer that does not keep the world busy */
};

/* Where a scheduled event is in the heap: the heap moves events around,
 * the slot follows them, so an id finds its event in one step. */
struct ev_slot {
	size_t pos;    /* in use: the event's index in the heap;
			* free: the next free slot (SIZE_MAX: the last) */
	uint32_t gen;  /* bumped each time the slot is freed: old ids miss */
	bool used;
};

struct evloop {
	struct ev *heap;
	size_t n, cap;
	struct ev_slot *slots;
	size_t nslots, slotcap;
	size_t free_slot; /* the first free slot, SIZE_MAX if none */
	uint64_t seq;
	int64_t now_us; /* the simulated clock */
	size_t nfg;     /* events scheduled that are not background */
	uint64_t ran;   /* events run so far */
};

void ev_init(struct evloop *l);
void ev_free(struct evloop *l);
/* Run fn(arg) at simulated time t (never earlier than now). */
ev_id ev_at(struct evloop *l, int64_t t_us, ev_fn fn, void *arg);
ev_id ev_after(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg);
/* A background event (an idle timeout, say): it runs in its turn, but the
 * world counts as idle while only background events are left. */
ev_id ev_after_bg(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg);
/* Take a scheduled event out of the loop: true if it was still waiting,
 * false if id names no waiting event (0, already run or cancelled, or
 * the event running now).  The caller still owns its arg. */
bool ev_cancel(struct evloop *l, ev_id id);
/* Run the next event, advancing the clock; false if there is none. */
bool ev_step(struct evloop *l);
bool ev_empty(const struct evloop *l);

#define US_PER_MS INT64_C(1000)
#define US_PER_SEC INT64_C(1000000)

#endif
