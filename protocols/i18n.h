/*
 * i18n.h - the marks of a string that a person reads, for GNU gettext.
 *
 *   _("text")          translated here and now (gettext)
 *   N_("text")         only marked, for xgettext: a table entry, or a
 *                      teaching note, which trace_emit translates when the
 *                      record is told (so the engines stay free of locales)
 *   P_("one", "many", n)   a counted phrase, with the plural forms of the
 *                      language (ngettext)
 *
 * The protocol itself is never marked: commands, replies, headers and
 * flags are what they are on the wire (po/GLOSSARY.md).  The language is
 * chosen once, at start (cli_i18n_init in ui/cli.c); i18n_lang() tells the
 * scenario parser which of a lesson's texts to keep.
 */
#ifndef MAILSIM_I18N_H
#define MAILSIM_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)
#define P_(one, many, n) ngettext((one), (many), (unsigned long)(n))

enum i18n_lang {
	I18N_EN,    /* the default: the strings as written */
	I18N_PT_BR, /* Brazilian Portuguese: po/pt_BR.po */
};

void i18n_set_lang(enum i18n_lang lang);
enum i18n_lang i18n_lang(void);

#endif
