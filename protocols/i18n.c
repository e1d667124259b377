/*
 * i18n.c - the language chosen at start (see i18n.h).  Only a value:
 * reading the environment and binding the catalogue is ui/cli.c's work.
 */
#include "i18n.h"

static enum i18n_lang current = I18N_EN;

void i18n_set_lang(enum i18n_lang lang)
{
	current = lang;
}

enum i18n_lang i18n_lang(void)
{
	return current;
}
