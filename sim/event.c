/*
 * event.c - a binary min-heap of events keyed by (time, sequence), and a
 * slot table that finds an event in the heap by its id (for ev_cancel).
 *
 *   ev_push / ev_remove   the two doors in and out of the heap; both keep
 *                         the slot table and the count of foreground events
 *   ev_sift_up / _down    restore the heap order around one index
 */
#include "event.h"

#include <assert.h>
#include <stdlib.h>

#include "buf.h"

#define EV_SLOT_NONE SIZE_MAX

void ev_init(struct evloop *l)
{
	l->heap = NULL;
	l->n = l->cap = 0;
	l->slots = NULL;
	l->nslots = l->slotcap = 0;
	l->free_slot = EV_SLOT_NONE;
	l->seq = 0;
	l->now_us = 0;
	l->nfg = 0;
	l->ran = 0;
}

void ev_free(struct evloop *l)
{
	free(l->heap);
	free(l->slots);
	ev_init(l);
}

static bool ev_before(const struct ev *a, const struct ev *b)
{
	if (a->t_us != b->t_us)
		return a->t_us < b->t_us;
	return a->seq < b->seq;
}

/* Put ev at heap index i, and tell its slot where it is. */
static void ev_place(struct evloop *l, size_t i, struct ev ev)
{
	l->heap[i] = ev;
	l->slots[ev.slot].pos = i;
}

static void ev_swap(struct evloop *l, size_t i, size_t j)
{
	struct ev t = l->heap[i];
	ev_place(l, i, l->heap[j]);
	ev_place(l, j, t);
}

static void ev_sift_up(struct evloop *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(&l->heap[i], &l->heap[parent]))
			break;
		ev_swap(l, i, parent);
		i = parent;
	}
}

static void ev_sift_down(struct evloop *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, least = i;
		if (left < l->n && ev_before(&l->heap[left], &l->heap[least]))
			least = left;
		if (right < l->n && ev_before(&l->heap[right], &l->heap[least]))
			least = right;
		if (least == i)
			break;
		ev_swap(l, i, least);
		i = least;
	}
}

static uint32_t ev_slot_take(struct evloop *l)
{
	size_t s = l->free_slot;
	if (s != EV_SLOT_NONE) {
		l->free_slot = l->slots[s].pos;
	} else {
		assert(l->nslots < UINT32_MAX); /* the id keeps the slot in 32 bits */
		if (l->nslots == l->slotcap) {
			l->slotcap = l->slotcap ? l->slotcap * 2 : 256;
			l->slots = xrealloc(l->slots, l->slotcap * sizeof *l->slots);
		}
		s = l->nslots++;
		l->slots[s].gen = 1; /* generation 0 would let the id be 0 */
	}
	l->slots[s].used = true;
	return (uint32_t)s;
}

static void ev_slot_free(struct evloop *l, uint32_t s)
{
	struct ev_slot *slot = &l->slots[s];
	assert(slot->used);
	slot->used = false;
	if (++slot->gen == 0)
		slot->gen = 1;
	slot->pos = l->free_slot;
	l->free_slot = s;
}

static ev_id ev_push(struct evloop *l, int64_t t_us, ev_fn fn, void *arg, bool bg)
{
	assert(fn);
	if (t_us < l->now_us)
		t_us = l->now_us;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->heap = xrealloc(l->heap, l->cap * sizeof *l->heap);
	}
	uint32_t s = ev_slot_take(l);
	size_t i = l->n++;
	ev_place(l, i, (struct ev){ .t_us = t_us, .seq = l->seq++, .fn = fn, .arg = arg,
				    .slot = s, .background = bg });
	if (!bg)
		l->nfg++;
	ev_sift_up(l, i);
	return (ev_id)l->slots[s].gen << 32 | s;
}

/* Take the event at heap index i out of the loop, and return it. */
static struct ev ev_remove(struct evloop *l, size_t i)
{
	assert(i < l->n);
	struct ev ev = l->heap[i];
	ev_slot_free(l, ev.slot);
	if (!ev.background)
		l->nfg--;
	l->n--;
	if (i < l->n) {
		/* the last event fills the hole, then finds its place */
		ev_place(l, i, l->heap[l->n]);
		ev_sift_up(l, i);
		ev_sift_down(l, i);
	}
	return ev;
}

ev_id ev_at(struct evloop *l, int64_t t_us, ev_fn fn, void *arg)
{
	return ev_push(l, t_us, fn, arg, false);
}

ev_id ev_after(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg)
{
	return ev_push(l, l->now_us + (delay_us > 0 ? delay_us : 0), fn, arg, false);
}

ev_id ev_after_bg(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg)
{
	return ev_push(l, l->now_us + (delay_us > 0 ? delay_us : 0), fn, arg, true);
}

bool ev_cancel(struct evloop *l, ev_id id)
{
	uint32_t s = (uint32_t)id, gen = (uint32_t)(id >> 32);
	if (s >= l->nslots || !l->slots[s].used || l->slots[s].gen != gen)
		return false; /* id 0 has generation 0, which no slot has */
	size_t i = l->slots[s].pos;
	assert(i < l->n && l->heap[i].slot == s);
	ev_remove(l, i);
	return true;
}

bool ev_empty(const struct evloop *l)
{
	return l->n == 0;
}

bool ev_step(struct evloop *l)
{
	if (l->n == 0)
		return false;
	/* out of the heap before it runs: it may schedule, or cancel others */
	struct ev top = ev_remove(l, 0);
	l->now_us = top.t_us;
	l->ran++;
	top.fn(top.arg);
	return true;
}
