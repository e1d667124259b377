/*
 * fuzz_scenario.c - the scenario parser (sim/scenario*.c) fed arbitrary
 * text.
 *
 * Reading guide.  The whole input is one .scn file.  Diagnostics are
 * thrown away (errs = NULL); a tree that parses is walked through the
 * look-ups the world uses, then freed.  The durations parser gets every
 * word of the first line.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size ? size : 1);
	memcpy(text, data, size);
	struct scenario *s = NULL;
	if (scn_parse_string("fuzz.scn", text, size, &s, NULL) == 0) {
		for (size_t i = 0; i < s->nusers; i++) {
			const char *at = strrchr(s->users[i].address, '@');
			if (at)
				(void)scn_find_domain(s, at + 1);
			if (scn_find_user(s, s->users[i].address) == NULL)
				abort();
		}
		for (size_t i = 0; i < s->ndevices; i++)
			if (scn_find_device(s, s->devices[i].name) == NULL)
				abort();
		scn_free(s);
	} else if (s) {
		abort(); /* errors hand back no tree */
	}

	/* words of the first line as durations */
	size_t eol = 0;
	while (eol < size && eol < 200 && text[eol] != '\n')
		eol++;
	char *line = xstrndup(text, eol);
	for (char *w = strtok(line, " \t\r"); w; w = strtok(NULL, " \t\r"))
		(void)scn_parse_duration(w);
	free(line);
	free(text);
	return 0;
}
