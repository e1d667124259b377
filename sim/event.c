/*
 * event.c - a binary min-heap of events keyed by (time, sequence).
 */
#include "event.h"

#include <stdlib.h>

#include "buf.h"

void ev_init(struct evloop *l)
{
	l->heap = NULL;
	l->n = l->cap = 0;
	l->seq = 0;
	l->now_us = 0;
	l->nfg = 0;
	l->ran = 0;
}

void ev_free(struct evloop *l)
{
	free(l->heap);
	ev_init(l);
}

static bool ev_before(const struct ev *a, const struct ev *b)
{
	if (a->t_us != b->t_us)
		return a->t_us < b->t_us;
	return a->seq < b->seq;
}

static void ev_swap(struct ev *a, struct ev *b)
{
	struct ev t = *a;
	*a = *b;
	*b = t;
}

static void ev_push(struct evloop *l, int64_t t_us, ev_fn fn, void *arg, bool bg)
{
	if (t_us < l->now_us)
		t_us = l->now_us;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->heap = xrealloc(l->heap, l->cap * sizeof *l->heap);
	}
	size_t i = l->n++;
	l->heap[i] = (struct ev){ .t_us = t_us, .seq = l->seq++, .fn = fn, .arg = arg,
				  .background = bg };
	if (!bg)
		l->nfg++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(&l->heap[i], &l->heap[parent]))
			break;
		ev_swap(&l->heap[i], &l->heap[parent]);
		i = parent;
	}
}

void ev_at(struct evloop *l, int64_t t_us, ev_fn fn, void *arg)
{
	ev_push(l, t_us, fn, arg, false);
}

void ev_after(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg)
{
	ev_push(l, l->now_us + (delay_us > 0 ? delay_us : 0), fn, arg, false);
}

void ev_after_bg(struct evloop *l, int64_t delay_us, ev_fn fn, void *arg)
{
	ev_push(l, l->now_us + (delay_us > 0 ? delay_us : 0), fn, arg, true);
}

bool ev_empty(const struct evloop *l)
{
	return l->n == 0;
}

bool ev_step(struct evloop *l)
{
	if (l->n == 0)
		return false;
	struct ev top = l->heap[0];
	l->heap[0] = l->heap[--l->n];
	size_t i = 0;
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, least = i;
		if (left < l->n && ev_before(&l->heap[left], &l->heap[least]))
			least = left;
		if (right < l->n && ev_before(&l->heap[right], &l->heap[least]))
			least = right;
		if (least == i)
			break;
		ev_swap(&l->heap[i], &l->heap[least]);
		i = least;
	}
	if (!top.background)
		l->nfg--;
	l->now_us = top.t_us;
	l->ran++;
	top.fn(top.arg);
	return true;
}
