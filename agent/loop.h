/* Event-loop services for the agent's other modules. */
#ifndef SKA_LOOP_H
#define SKA_LOOP_H

struct watch;

/* Calls cb(fd, arg) on the loop when fd is readable (or hung up). */
struct watch *loop_watch_fd(int fd, void (*cb)(int fd, void *arg), void *arg);
void loop_unwatch_fd(struct watch *w);
/* Frees w once the current batch of events is done (conn_free). */
void loop_watch_release(struct watch *w);
size_t loop_nconns(void);
/* No other event is waiting in the current round: a short job may run here. */
int loop_idle(void);

#endif
