/*
 * serve.h - `mailsim serve`: live mode for real clients.
 */
#ifndef MAILSIM_SERVE_H
#define MAILSIM_SERVE_H

/* argv[0] is "serve".  Returns the process's exit status. */
int serve_main(int argc, char **argv);

#endif
