/*
 * lab.h - `mailsim lab`: exercises for students, graded from the store.
 *
 *   mailsim lab                    list the exercises
 *   mailsim lab NAME [--db FILE]   serve the exercise's world live, show the
 *                                  task, and each check as it comes to pass
 *   mailsim lab NAME --check       the graded report; exit 0 only if every
 *                                  check passes, 1 otherwise, 2 usage
 *   ... --student NAME --report FILE   the report to hand in (lab_card.c)
 *   mailsim lab --verify FILE      was it edited? 0 no, 1 yes, 2 unreadable
 *
 * An exercise is a scenario file marked `exercise`, with `task` and `hint`
 * paragraphs; the exercises live in $MAILSIM_LABS, else ./scenarios/labs,
 * else the installed share directory.
 */
#ifndef MAILSIM_LAB_H
#define MAILSIM_LAB_H

int lab_main(int argc, char **argv);

#endif
