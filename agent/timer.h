/*
 * timer.c: a one-shot timer on the loop (a timerfd the loop watches), for
 * the modules that keep time of their own (the record's flush, the PIN
 * cache's expiry).  Requests use request_wake_at instead.
 */
#ifndef SKA_TIMER_H
#define SKA_TIMER_H

#include <stdint.h>

struct timer;

/* cb(arg) runs on the loop when the timer fires; NULL on failure. */
struct timer *timer_new(void (*cb)(void *arg), void *arg);
/* Fires once, ms from now (0: disarmed); a new set replaces the old. 0 or -1. */
int timer_set(struct timer *t, uint64_t ms);
/* NULL is fine. */
void timer_free(struct timer *t);

#endif
