/*
 * inspect.h - mailsim inspect: what a --db file holds, every mailbox,
 * folder, device and relay queue, as a table or as one JSON document.
 */
#ifndef MAILSIM_INSPECT_H
#define MAILSIM_INSPECT_H

/* argv as after the command word: argv[0] is "inspect".  Exit status: 0
 * listed; 2 a wrong command line, or the file is missing, not a mailsim
 * database or of a newer schema; 3 reading or writing failed halfway. */
int inspect_main(int argc, char **argv);

#endif
