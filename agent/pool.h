/*
 * pool.c: worker threads.  run() on a worker, done() back on the loop.  A
 * worker sees only its job (and what the job holds a reference to); only
 * the loop thread touches connections and the keystore.
 */
#ifndef SKA_POOL_H
#define SKA_POOL_H

struct job {
	void (*run)(struct job *);
	void (*done)(struct job *);
	struct job *next;
};

#define POOL_CPU	0	/* signatures, KDF: as many threads as cores */
#define POOL_TOKEN	1	/* security-key operations: they wait */

int pool_init(int ncpu, int ntoken);
void pool_submit(struct job *j);	/* POOL_CPU */
void pool_submit_to(int pool, struct job *j);
/* The fd the loop polls; pool_complete() runs the done() callbacks. */
int pool_fd(void);
void pool_complete(void);
void pool_shutdown(void);

#endif
