/*
 * story.c - playing the scenario's story: one action after the other, each
 * started when the one before it is done.
 */
#include "world.h"

#include <assert.h>
#include <stdio.h>

#include "i18n.h"

static void world_story_start(struct world *w);

static void world_story_next_ev(void *arg)
{
	struct world *w = arg;
	if (!w->stopping)
		world_story_start(w);
}

void world_story_next(struct world *w)
{
	const struct scn_action *a = w->action < w->scn->nactions ? &w->scn->actions[w->action] : NULL;
	if (a && w->repeat_i < a->repeat) {
		w->repeat_i++;
	} else {
		w->action++;
		w->repeat_i = 1;
	}
	/* start the next action from the loop, not from deep inside a callback */
	ev_after(&w->loop, 0, world_story_next_ev, w);
}

/* A quiz: told to the trace (the player asks it, the transcript shows the
 * teacher its answer); one with a reply waits for it (checks.c). */
static void world_story_quiz(struct world *w, const struct scn_action *a)
{
	struct trace_quiz q = { .question = a->text, .reply = a->reply, .answer = (int)a->answer };
	assert(a->nchoices <= TRACE_QUIZ_MAX_CHOICES);
	for (size_t i = 0; i < a->nchoices; i++)
		q.choices[q.nchoices++] = a->choices[i];
	struct buf b;
	buf_init(&b);
	trace_quiz_format(&b, &q);
	world_event(w, "story", NULL, "quiz", NULL, "%.*s", (int)b.len, b.p);
	buf_free(&b);
	if (a->reply) {
		w->quiz_open = xrealloc(w->quiz_open, (w->nquiz_open + 1) * sizeof *w->quiz_open);
		w->quiz_open[w->nquiz_open++] = w->action;
	}
}

static void world_story_start(struct world *w)
{
	if (w->action >= w->scn->nactions) {
		w->story_done = true;
		return;
	}
	const struct scn_action *a = &w->scn->actions[w->action];
	switch (a->kind) {
	case SCN_SEND:
		agent_send(w, a, w->repeat_i, world_story_next);
		break;
	case SCN_SESSION:
		agent_session(w, a, world_story_next);
		break;
	case SCN_WAIT:
		world_event(w, "story", NULL, "wait", NULL, _("wait %.3fs"),
			    (double)a->duration_us / US_PER_SEC);
		w->action++;
		w->repeat_i = 1;
		ev_after(&w->loop, a->duration_us, world_story_next_ev, w);
		break;
	case SCN_WAIT_IDLE:
		w->waiting_idle = true;
		break;
	case SCN_NOTE:
		world_event(w, "story", NULL, "note", NULL, "%s", a->text);
		world_story_next(w);
		break;
	case SCN_QUIZ:
		world_story_quiz(w, a);
		world_story_next(w);
		break;
	case SCN_LINK_STATE: {
		struct host *ha = world_host(w, a->host_a), *hb = world_host(w, a->host_b);
		assert(ha && hb); /* the scenario checked the names */
		struct link *l = net_link(w, ha, hb);
		if (l) {
			l->up = a->up;
			world_event(w, ha->name, hb->name, a->up ? "link-up" : "link-down",
				    a->up ? NULL
					  : N_("a cut link: connections across it break, "
					       "new ones time out"),
				    a->up ? _("link %s - %s up") : _("link %s - %s down"), ha->name,
				    hb->name);
			if (!a->up)
				net_break_link(w, l, N_("connection reset: link down"));
		}
		world_story_next(w);
		break;
	}
	case SCN_SERVER_STATE: {
		struct host *h = world_host(w, a->host_a);
		assert(h);
		h->up = a->up;
		world_event(w, h->name, NULL, a->up ? "server-up" : "server-down",
			    a->up ? N_("the server is back: waiting mail gets through at the "
				       "sender's next retry")
				  : N_("a server that is down refuses connections: senders queue "
				       "their mail and retry"),
			    a->up ? _("server %s up") : _("server %s down"), h->name);
		if (!a->up)
			net_break_host(w, h, N_("connection reset: server went down"));
		else
			mailserver_resume(w, h);
		world_story_next(w);
		break;
	}
	case SCN_POP3_FETCH:
		agent_pop3_fetch(w, a, world_story_next);
		break;
	case SCN_IMAP_SYNC:
	case SCN_IMAP_OPEN:
	case SCN_IMAP_CLOSE:
	case SCN_IMAP_READ:
	case SCN_IMAP_FLAG:
	case SCN_IMAP_CREATE:
	case SCN_IMAP_MOVE:
	case SCN_IMAP_DELETE:
		agent_imap(w, a, world_story_next);
		break;
	}
}

/* Mail left in a queue by an earlier run on the same --db goes out again. */
static void world_resume_queues(struct world *w)
{
	for (size_t i = 0; i < w->nhosts; i++)
		if (w->hosts[i].kind == HOST_SERVER)
			mailserver_resume(w, &w->hosts[i]);
}

void world_story_start_live(struct world *w)
{
	world_tell_initial_mail(w);
	world_resume_queues(w);
	world_story_start(w);
}

void world_run(struct world *w)
{
	world_tell_initial_mail(w);
	world_resume_queues(w);
	world_story_start(w);
	for (;;) {
		if (w->loop.nfg > 0) {
			ev_step(&w->loop);
			continue;
		}
		/* nothing but timers is left: the world is idle */
		if (w->waiting_idle) {
			w->waiting_idle = false;
			w->action++;
			w->repeat_i = 1;
			world_story_start(w);
			continue;
		}
		if (w->story_done)
			break;
		/* the story waits on a session that waits on its peer: only a
		 * timer (an idle timeout) can move things on */
		if (ev_step(&w->loop))
			continue;
		world_event(w, "story", NULL, "stalled", NULL,
			    _("the story stalled at action %zu"), w->action + 1);
		break;
	}
}
