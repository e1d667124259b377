/*
 * imap_server_mailbox.c - the IMAP server engine's commands of the
 * authenticated state (RFC 3501 6.3), which mostly work on whole folders
 * (one of the imap_server family, imap_server_int.h).
 *
 * The host's store holds the folders (struct imap_server_ops); these
 * commands ask it and put its answer into IMAP's words:
 *
 *   SELECT, EXAMINE   open a folder: the first snapshot becomes the view
 *                     (imap_server_view.c keeps it in step from then on)
 *   CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE
 *                     one host operation each; INBOX and "" are special
 *   LIST, LSUB        names matched against a pattern ("*", "%"), with
 *                     \Noselect parents and the SPECIAL-USE attributes
 *   STATUS            a folder's counts without selecting it
 *   APPEND            a new message, with flags and a date (UIDPLUS)
 *   ENABLE, NAMESPACE the two small ones
 *
 * A reading guide, in file order: helpers for folder names; ENABLE and
 * NAMESPACE; SELECT and EXAMINE; CREATE; DELETE (and what a \Noselect
 * parent is); RENAME; SUBSCRIBE and UNSUBSCRIBE; LIST and LSUB (matching,
 * the RFC 5258 options, the walk); STATUS; APPEND.
 */
#include "imap_server_int.h"
#include "i18n.h"
#include "imap_msg.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Wildcards (* and %) in one LIST pattern: matching backtracks, so keep it cheap. */
#define IMAP_SERVER_PATTERN_WILDCARDS_MAX 16

static const char *const imap_server_note_special_use =
	N_("a special-use attribute tells every client which folder plays this role, whatever its "
	   "name (RFC 6154)");

/* CREATE "" or RENAME x "": a name no folder can have is NO, not BAD - the
 * command was well-formed (Dovecot answers the same way). */
static bool imap_server_check_new_name(struct imap_server *s, const char *name,
				       struct wire *out)
{
	if (name[0])
		return true;
	imap_server_no(s, out, N_("[CANNOT]: a folder needs a name; the empty one is taken by "
		          "LIST's hierarchy question (RFC 3501 6.3.8)"),
		       "[CANNOT] Invalid mailbox name");
	return false;
}

/* A mailbox name as a response shows it: a quoted string, or a literal. */
static void imap_server_add_mailbox(struct buf *b, const char *name)
{
	imap_write_string(b, name, strlen(name));
}

/* The mailbox name that is a command's first argument, into name[]; or
 * BAD "Syntax: CREATE mailbox" and false. */
static bool imap_server_mailbox_arg(struct imap_server *s, const struct imap_cmd *c,
				    char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1],
				    struct wire *out)
{
	assert(c->nargs >= 1); /* every row that calls this asks for one */
	if (imap_server_mailbox(&c->args[0], name))
		return true;
	imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s mailbox", c->name);
	return false;
}

/* The end of a command that is one host operation: "CREATE completed",
 * or the NO the operation's result calls for. */
static void imap_server_finish(struct imap_server *s, const struct imap_cmd *c,
			       enum imap_result r, struct wire *out)
{
	if (r != IMAP_OK)
		imap_server_no_result(s, out, r);
	else
		imap_server_ok(s, out, NULL, "%s completed", c->name);
}
void imap_server_proceed_enable(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	for (size_t i = 0; i < c->nargs; i++) {
		if (c->args[i].type != IMAP_ARG_ATOM) {
			imap_server_bad(s, out, imap_server_note_syntax,
					"Syntax: ENABLE capability...");
			return;
		}
	}
	/* None of the extensions offered here needs enabling. */
	wire_line(out, N_("ENABLED lists the extensions now switched on: none needed here"),
		  "* ENABLED");
	imap_server_ok(s, out, NULL, "ENABLE completed");
}

void imap_server_proceed_namespace(struct imap_server *s, const struct imap_cmd *c,
				   struct wire *out)
{
	(void)c;
	wire_line(out, N_("NAMESPACE: the user's own folders start at the top, separated by \"/\"; "
		     "there are no shared or other users' folders"),
		  "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_server_ok(s, out, NULL, "NAMESPACE completed");
}

/* SELECT (read-write) and EXAMINE (read-only), RFC 3501 6.3.1-2. */
void imap_server_proceed_select(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	assert(s->state == IMAP_SERVER_STATE_AUTHENTICATED ||
	       s->state == IMAP_SERVER_STATE_SELECTED); /* imap_server_check_authenticated */
	bool read_only = strcmp(c->name, "EXAMINE") == 0;
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox_arg(s, c, name, out))
		return;
	/* Whatever happens next, the folder selected before is closed (without
	 * expunging): a failed SELECT leaves none selected. */
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	s->read_only = read_only; /* the host asks, while it takes the snapshot (\Recent) */
	struct imap_folder info;
	memset(&info, 0, sizeof info);
	struct imap_msg *msgs = NULL;
	size_t n = 0;
	uint64_t v = s->ops.version ? s->ops.version(s->ctx, name) : 0;
	enum imap_result r = s->ops.snapshot ? s->ops.snapshot(s->ctx, name, &info, &msgs, &n)
					     : IMAP_FAILED;
	if (r != IMAP_OK) {
		free(msgs);
		s->read_only = false;
		imap_server_no_result(s, out, r);
		return;
	}
	s->folder = xstrdup(name);
	s->info = info;
	s->view = msgs;
	s->nview = s->capview = msgs ? n : 0;
	s->version = v;
	imap_server_enter_state(s, IMAP_SERVER_STATE_SELECTED);

	for (size_t i = 0; i < s->nview; i++)
		if (s->view[i].keywords[0])
			imap_server_learn_keywords(s, s->view[i].keywords);
	imap_server_send_flags(s, out, N_("FLAGS: the flags a message in this folder can have"));
	wire_line(out, N_("EXISTS: how many messages the folder holds; they are numbered 1 to "
			  "this"),
		  "* %zu EXISTS", s->nview);
	s->nrecent = imap_server_count_recent(s);
	wire_line(out, NULL, "* %zu RECENT", s->nrecent);
	for (size_t i = 0; i < s->nview; i++) {
		if (!(s->view[i].flags & IMAP_FLAG_SEEN)) {
			wire_line(out, N_("UNSEEN: the number of the first message without \\Seen"),
				  "* OK [UNSEEN %zu] Message %zu is first unseen", i + 1, i + 1);
			break;
		}
	}
	imap_server_send_permanentflags(s, out);
	wire_line(out, N_("UIDVALIDITY: while this number stays the same, a UID always names the "
		     "same message, so a client may keep what it downloaded"),
		  "* OK [UIDVALIDITY %" PRIu32 "] UIDs valid", s->info.uidvalidity);
	wire_line(out, N_("UIDNEXT: the UID the next message to arrive will get at least; a client "
		     "seeing it unchanged knows nothing new came"),
		  "* OK [UIDNEXT %" PRIu32 "] Predicted next UID", s->info.uidnext);
	if (read_only)
		imap_server_ok(s, out, N_("EXAMINE: the folder is open read-only; reading does not "
			          "even set \\Seen"), "[READ-ONLY] EXAMINE completed");
	else
		imap_server_ok(s, out, N_("SELECT: the folder is open; its messages can now be "
			          "read and changed"), "[READ-WRITE] SELECT completed");
}

void imap_server_proceed_create(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox_arg(s, c, name, out))
		return;
	if (!imap_server_check_new_name(s, name, out))
		return;
	if (strcmp(name, "INBOX") == 0) {
		imap_server_no(s, out, N_("INBOX always exists; it cannot be created "
					  "(RFC 3501 6.3.3)"),
			       "[ALREADYEXISTS] INBOX always exists");
		return;
	}
	imap_server_finish(s, c, s->ops.create ? s->ops.create(s->ctx, name) : IMAP_FAILED, out);
}

/* One name LIST or LSUB may show: a folder, or (LSUB) a subscribed name
 * that no folder has. */
struct imap_server_list_entry {
	const char *name;
	const struct imap_folder *folder; /* NULL: not a folder */
};

/* The order LIST shows names in: INBOX first, then by octets (as the
 * store lists folders). */
static int imap_server_list_entry_cmp(const void *a, const void *b)
{
	const struct imap_server_list_entry *x = a, *y = b;
	bool xi = strcmp(x->name, "INBOX") == 0, yi = strcmp(y->name, "INBOX") == 0;
	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool imap_server_list_has(const struct imap_server_list_entry *set, size_t n,
				 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i].name, name) == 0)
			return true;
	return false;
}

/* Does some folder stand below name ("Work/2024" below "Work")? */
static bool imap_server_has_inferiors(const struct imap_folder *folders, size_t n,
				      const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; folders && i < n; i++)
		if (strncmp(folders[i].name, name, len) == 0 && folders[i].name[len] == '/')
			return true;
	return false;
}

/* Is name above some folder, without being one (a \Noselect name)? */
static bool imap_server_is_parent(struct imap_server *s, const char *name)
{
	struct imap_folder *folders = NULL;
	size_t n = 0;
	bool parent = s->ops.folders && s->ops.folders(s->ctx, &folders, &n) == IMAP_OK &&
		      imap_server_has_inferiors(folders, n, name);
	free(folders);
	return parent;
}

void imap_server_proceed_delete(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox_arg(s, c, name, out))
		return;
	if (strcmp(name, "INBOX") == 0) {
		imap_server_no(s, out, N_("INBOX is where new mail arrives: it cannot be deleted "
			          "(RFC 3501 6.3.4)"), "[CANNOT] INBOX cannot be deleted");
		return;
	}
	enum imap_result r = s->ops.remove ? s->ops.remove(s->ctx, name) : IMAP_FAILED;
	if (r == IMAP_NO_SUCH && imap_server_is_parent(s, name)) {
		/* RFC 3501 6.3.4: a \Noselect name with inferiors cannot go */
		imap_server_no(s, out, N_("[CANNOT]: this name only holds other folders "
			          "(\\Noselect); delete those first (RFC 3501 6.3.4)"),
			       "[CANNOT] Name has inferior hierarchical names");
		return;
	}
	imap_server_finish(s, c, r, out);
}

void imap_server_proceed_rename(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	assert(c->nargs == 2); /* the table's row */
	char from[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1], to[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[0], from) || !imap_server_mailbox(&c->args[1], to)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: RENAME mailbox new-name");
		return;
	}
	if (!imap_server_check_new_name(s, to, out))
		return;
	imap_server_finish(s, c, s->ops.rename ? s->ops.rename(s->ctx, from, to) : IMAP_FAILED,
			   out);
}

/* SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6-7). */
void imap_server_proceed_subscribe(struct imap_server *s, const struct imap_cmd *c,
				   struct wire *out)
{
	bool on = strcmp(c->name, "SUBSCRIBE") == 0;
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox_arg(s, c, name, out))
		return;
	imap_server_finish(s, c, s->ops.subscribe ? s->ops.subscribe(s->ctx, name, on)
						  : IMAP_FAILED, out);
}

/* Does a LIST pattern match a name?  "*" matches anything, "%" anything
 * but the hierarchy delimiter "/" (RFC 3501 6.3.8).  The name's octets
 * before fold_end compare without regard to case (INBOX's, below). */
static bool imap_server_match(const char *pat, const char *name, const char *fold_end)
{
	for (; *pat; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (const char *n = name;; n++) {
				if (imap_server_match(pat + 1, n, fold_end))
					return true;
				if (!*n || (*pat == '%' && *n == '/'))
					return false;
			}
		}
		bool same = name < fold_end ? strncasecmp(pat, name, 1) == 0 : *pat == *name;
		if (!same)
			return false;
	}
	return *name == '\0';
}

/* The pattern for one folder.  INBOX is the same name in any case (RFC
 * 3501 5.1), so its five letters match "inbox", "In%" and "%b%x" alike;
 * so do they as the first level of "INBOX/Sub".  Every other name is
 * case-sensitive. */
static bool imap_server_match_folder(const char *pat, const char *name)
{
	const char *fold_end = name;
	if (strncmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == '/'))
		fold_end = name + 5;
	return imap_server_match(pat, name, fold_end);
}

/*
 * The options of the extended LIST form (RFC 5258) that clients use with
 * SPECIAL-USE (RFC 6154 5.1): LIST (SPECIAL-USE) "" "*", or LIST "" "*"
 * RETURN (SPECIAL-USE).  Selection SPECIAL-USE and SUBSCRIBED narrow the
 * answer; the RETURN options only ask for attributes sent anyway (or for
 * \Subscribed).  False if an option is not one of these.
 */
struct imap_server_list_options {
	bool special_only, subscribed_only, return_subscribed;
};

static bool imap_server_list_options(const struct imap_cmd *c, size_t *first,
				     struct imap_server_list_options *o)
{
	memset(o, 0, sizeof *o);
	*first = 0;
	size_t end = c->nargs;
	if (c->nargs > 0 && c->args[0].type == IMAP_ARG_LIST) {
		const struct imap_arg *sel = &c->args[0];
		for (size_t i = 0; i < sel->nlist; i++) {
			const struct imap_arg *a = &sel->list[i];
			if (imap_arg_is(a, "SPECIAL-USE"))
				o->special_only = true;
			else if (imap_arg_is(a, "SUBSCRIBED"))
				o->subscribed_only = o->return_subscribed = true;
			else if (!imap_arg_is(a, "RECURSIVEMATCH") && !imap_arg_is(a, "REMOTE"))
				return false;
		}
		*first = 1;
	}
	if (end >= *first + 4 && imap_arg_is(&c->args[end - 2], "RETURN") &&
	    c->args[end - 1].type == IMAP_ARG_LIST) {
		const struct imap_arg *ret = &c->args[end - 1];
		for (size_t i = 0; i < ret->nlist; i++) {
			const struct imap_arg *a = &ret->list[i];
			if (imap_arg_is(a, "SUBSCRIBED"))
				o->return_subscribed = true;
			else if (!imap_arg_is(a, "SPECIAL-USE") && !imap_arg_is(a, "CHILDREN"))
				return false;
		}
		end -= 2;
	}
	return end == *first + 2;
}

/* LIST and LSUB (RFC 3501 6.3.8-9, RFC 6154 for the special-use attributes). */
void imap_server_proceed_list(struct imap_server *s, const struct imap_cmd *c,
			      struct wire *out)
{
	assert(c->nargs >= 2 && c->nargs <= 5); /* the table's rows */
	bool lsub = strcmp(c->name, "LSUB") == 0;
	struct imap_server_list_options o;
	size_t first = 0;
	bool shaped = lsub ? c->nargs == 2 : imap_server_list_options(c, &first, &o);
	if (lsub) {
		memset(&o, 0, sizeof o);
		o.subscribed_only = true;
	}
	const char *ref = shaped ? imap_arg_str(&c->args[first]) : NULL;
	const char *pat = shaped ? imap_arg_str(&c->args[first + 1]) : NULL;
	if (!ref || !pat) {
		imap_server_bad(s, out, imap_server_note_syntax,
				"Syntax: %s reference mailbox-pattern", c->name);
		return;
	}
	if (!lsub && !pat[0]) {
		wire_line(out, N_("LIST with an empty pattern asks only for the hierarchy "
			     "delimiter: folder names are separated by \"/\""),
			  "* LIST (\\Noselect) \"/\" \"\"");
		imap_server_ok(s, out, NULL, "LIST completed");
		return;
	}
	size_t wild = 0;
	for (const char *p = pat; *p; p++)
		wild += *p == '*' || *p == '%';
	for (const char *p = ref; *p; p++)
		wild += *p == '*' || *p == '%';
	if (wild > IMAP_SERVER_PATTERN_WILDCARDS_MAX) {
		imap_server_bad(s, out, N_("this server allows at most 16 wildcards in a pattern"),
				"Too many wildcards in pattern");
		return;
	}
	struct buf full;
	buf_init(&full);
	buf_adds(&full, ref); /* "Work/" and "%": "Work/%" (RFC 3501 6.3.8) */
	buf_adds(&full, pat);

	struct imap_folder *folders = NULL;
	size_t n = 0;
	enum imap_result r = s->ops.folders ? s->ops.folders(s->ctx, &folders, &n) : IMAP_FAILED;
	if (r != IMAP_OK) {
		free(folders);
		buf_free(&full);
		imap_server_no_result(s, out, r);
		return;
	}
	/* The names to list: every folder (LIST), or every subscribed name,
	 * folder or not (LSUB, RFC 3501 6.3.6), in the order LIST shows them. */
	char **orphans = NULL;
	size_t norphans = 0;
	if (lsub && s->ops.orphan_subscriptions &&
	    s->ops.orphan_subscriptions(s->ctx, &orphans, &norphans) != IMAP_OK)
		norphans = 0;
	struct imap_server_list_entry *set = xcalloc(n + norphans + 1, sizeof *set);
	size_t nset = 0;
	for (size_t i = 0; folders && i < n; i++) {
		const struct imap_folder *f = &folders[i];
		if ((!o.subscribed_only || f->subscribed) && (!o.special_only || f->special_use[0]))
			set[nset++] = (struct imap_server_list_entry){f->name, f};
	}
	size_t nfolders = nset;
	for (size_t i = 0; orphans && i < norphans; i++)
		if (!imap_server_list_has(set, nfolders, orphans[i]))
			set[nset++] = (struct imap_server_list_entry){orphans[i], NULL};
	qsort(set, nset, sizeof *set, imap_server_list_entry_cmp);

	/* Names above listed ones that are not listed themselves are named
	 * \Noselect: a deleted folder's inferiors keep their parent in the
	 * hierarchy (RFC 3501 6.3.4), and LSUB shows the parents of subscribed
	 * names (6.3.9).  Only for plain LIST and LSUB; the RFC 5258
	 * selections have rules of their own. */
	bool parents = lsub || (!o.subscribed_only && !o.special_only);
	struct buf b, shown;
	buf_init(&b);
	buf_init(&shown);
	buf_addc(&shown, '\n'); /* "\nWork\nA/B\n": the parents named so far */
	for (size_t i = 0; i < nset; i++) {
		const char *name = set[i].name;
		const struct imap_folder *f = set[i].folder;
		bool match = imap_server_match_folder(full.p, name);
		/* The names above this one that no folder has, first (the set is
		 * sorted, so a parent comes before its inferiors).  LIST shows
		 * each that the pattern matches, "*" as well as "%": a deleted
		 * folder with inferiors is still a name (RFC 3501 6.3.4).  LSUB
		 * only where the pattern stops above a subscribed name (6.3.9). */
		for (const char *slash = strchr(name, '/'); parents && (!lsub || !match) && slash;
		     slash = strchr(slash + 1, '/')) {
			size_t len = (size_t)(slash - name);
			char parent[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
			if (len == 0 || len > IMAP_SERVER_MAILBOX_MAX_OCTETS)
				continue;
			memcpy(parent, name, len);
			parent[len] = '\0';
			if (imap_server_list_has(set, nset, parent) ||
			    !imap_server_match_folder(full.p, parent))
				continue;
			char needle[IMAP_SERVER_MAILBOX_MAX_OCTETS + 3];
			snprintf(needle, sizeof needle, "\n%s\n", parent);
			if (strstr(shown.p, needle))
				continue; /* named already, for an earlier inferior */
			buf_adds(&shown, parent);
			buf_addc(&shown, '\n');
			buf_clear(&b);
			buf_printf(&b, "* %s (\\Noselect \\HasChildren) \"/\" ", c->name);
			imap_server_add_mailbox(&b, parent);
			imap_server_send(out, N_("\\Noselect: a name in the hierarchy, above other "
					    "folders, that holds no messages itself and cannot be "
					    "selected"), &b);
		}
		if (!match)
			continue;
		bool children = f ? f->has_children : imap_server_has_inferiors(folders, n, name);
		buf_clear(&b);
		buf_printf(&b, "* %s (%s%s", c->name, f ? "" : "\\Noselect ",
			   children ? "\\HasChildren" : "\\HasNoChildren");
		if (f && f->special_use[0])
			buf_printf(&b, " %s", f->special_use);
		if (f && o.return_subscribed && f->subscribed && !lsub)
			buf_adds(&b, " \\Subscribed");
		buf_adds(&b, ") \"/\" ");
		imap_server_add_mailbox(&b, name);
		imap_server_send(out, f && f->special_use[0] ? imap_server_note_special_use : NULL, &b);
	}
	buf_free(&b);
	buf_free(&shown);
	buf_free(&full);
	free(set);
	for (size_t i = 0; orphans && i < norphans; i++)
		free(orphans[i]);
	free(orphans);
	free(folders);
	imap_server_ok(s, out, NULL, "%s completed", c->name);
}

/* STATUS (RFC 3501 6.3.10): counts of a folder without selecting it. */
void imap_server_proceed_status(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	assert(c->nargs == 2); /* the table's row */
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	const struct imap_arg *items = &c->args[1];
	if (!imap_server_mailbox(&c->args[0], name) || items->type != IMAP_ARG_LIST ||
	    items->nlist == 0) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: STATUS mailbox (items)");
		return;
	}
	static const char *const known[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
					    "UNSEEN"};
	for (size_t i = 0; i < items->nlist; i++) {
		size_t k = 0;
		while (k < 5 && !imap_arg_is(&items->list[i], known[k]))
			k++;
		if (k == 5) {
			imap_server_bad(s, out, N_("STATUS items are MESSAGES, RECENT, UIDNEXT, "
					   "UIDVALIDITY and UNSEEN"), "Invalid status item");
			return;
		}
	}
	struct imap_folder *folders = NULL;
	size_t n = 0;
	enum imap_result r = s->ops.folders ? s->ops.folders(s->ctx, &folders, &n) : IMAP_FAILED;
	const struct imap_folder *f = NULL;
	for (size_t i = 0; r == IMAP_OK && folders && i < n && !f; i++)
		if (strcmp(folders[i].name, name) == 0)
			f = &folders[i];
	if (!f) {
		free(folders);
		imap_server_no_result(s, out, r == IMAP_OK ? IMAP_NO_SUCH : r);
		return;
	}
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "* STATUS ");
	imap_server_add_mailbox(&b, f->name);
	buf_adds(&b, " (");
	for (size_t i = 0; i < items->nlist; i++) {
		const struct imap_arg *a = &items->list[i];
		uint32_t v = imap_arg_is(a, "MESSAGES")      ? f->messages
			     : imap_arg_is(a, "RECENT")      ? f->recent
			     : imap_arg_is(a, "UIDNEXT")     ? f->uidnext
			     : imap_arg_is(a, "UIDVALIDITY") ? f->uidvalidity
							     : f->unseen;
		char word[16];
		snprintf(word, sizeof word, "%.*s", (int)a->len, a->s);
		for (char *p = word; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		buf_printf(&b, "%s%s %" PRIu32, i ? " " : "", word, v);
	}
	buf_addc(&b, ')');
	imap_server_send(out, N_("STATUS: the folder's counts, without selecting it"), &b);
	buf_free(&b);
	free(folders);
	imap_server_ok(s, out, NULL, "STATUS completed");
}

/* APPEND mailbox [(flags)] [date-time] literal (RFC 3501 6.3.11, RFC 4315). */
void imap_server_proceed_append(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	assert(c->nargs >= 2 && c->nargs <= 4); /* the table's row */
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	const struct imap_arg *msg = &c->args[c->nargs - 1];
	size_t i = 1;
	uint32_t flags = 0;
	char keywords[IMAP_KEYWORDS_MAX_OCTETS] = "";
	int64_t date = -1;
	if (!imap_server_mailbox(&c->args[0], name) || msg->type != IMAP_ARG_STRING) {
		imap_server_bad(s, out, N_("APPEND ends with the message itself, usually as a "
				   "literal {size}"),
				"Syntax: APPEND mailbox [(flags)] [date-time] literal");
		return;
	}
	if (i < c->nargs - 1 && c->args[i].type == IMAP_ARG_LIST) {
		const char *err = NULL;
		if (!imap_server_parse_flags(&c->args[i], 1, &flags, keywords, &err)) {
			imap_server_bad(s, out, imap_server_note_syntax, "%s", err);
			return;
		}
		i++;
	}
	if (i < c->nargs - 1) {
		const struct imap_arg *a = &c->args[i];
		const char *d = a->type == IMAP_ARG_STRING ? imap_arg_str(a) : NULL;
		date = d ? imap_parse_datetime(d) : -1;
		if (date < 0) {
			imap_server_bad(s, out, N_("the date is written \"17-Jul-1996 02:44:25 "
					   "-0700\", in quotes"), "Invalid date-time");
			return;
		}
		i++;
	}
	if (i != c->nargs - 1) {
		imap_server_bad(s, out, imap_server_note_syntax,
				"Syntax: APPEND mailbox [(flags)] [date-time] literal");
		return;
	}
	if (msg->len == 0) {
		/* RFC 3501 is silent; a message needs at least a header (RFC
		 * 5322 3.5), and Dovecot refuses a zero-octet one too */
		imap_server_no(s, out, N_("an empty literal is no message: nothing was stored"),
			       "Cannot store an empty message");
		return;
	}
	if (date < 0)
		date = s->ops.now ? s->ops.now(s->ctx) : 0;
	uint32_t uid = 0, uidvalidity = 0;
	enum imap_result r = s->ops.append ? s->ops.append(s->ctx, name, flags, keywords, date,
							   msg->s, msg->len, &uid, &uidvalidity)
					   : IMAP_FAILED;
	if (r == IMAP_NO_SUCH && name[0]) {
		imap_server_no(s, out, imap_server_note_trycreate,
			       "[TRYCREATE] Mailbox doesn't exist");
		return;
	}
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, N_("APPENDUID: the UIDVALIDITY of the folder and the UID the new "
		          "message got, so the client need not search for it (RFC 4315)"),
		       "[APPENDUID %" PRIu32 " %" PRIu32 "] APPEND completed", uidvalidity, uid);
}
