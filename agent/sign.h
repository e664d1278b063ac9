/*
 * SSH2_AGENTC_SIGN_REQUEST, one path for every key (sign.c): parse, the
 * policy (destination constraints, websafe), the confirmation when the
 * key or the connection needs one, then the signer that holds the key,
 * then the signing record and the reply.  A signature that waits is a
 * request (request.h) whose rq.id is its key, so that whatever cancels
 * the signatures made with a key, or all of them, finds it.
 *
 * A signer is how one family of keys signs: in memory on the CPU pool
 * (sign.c), our security keys on the token pool and a provider library's
 * through skagent-sk-helper (sk.c), a PKCS#11 module's through
 * skagent-pkcs11-helper (pkcs11.c).  A signer fills one struct signer;
 * the confirmation, the cancel path, the record and the reply stay here.
 */
#ifndef SKA_SIGN_H
#define SKA_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "ask.h"
#include "record.h"
#include "request.h"
#include "sshbuf.h"
#include "tell.h"

struct conn;
struct sign_req;

struct signer {
	const char *name;
	size_t size;		/* its request: a struct sign_req first */
	/* Is this the signer for id?  (The first that says so signs.) */
	int (*handles)(const struct identity *id);
	/*
	 * Prepares s (the common fields set); 0 or a negative SKA_ERR_* (the
	 * request is refused at once).  NULL: nothing to prepare.
	 */
	int (*init)(struct sign_req *s);
	/*
	 * Signs s->data into s->sig, confirmation done; ends with
	 * sign_done(s, r), within the call or later.  It may ask the user
	 * (sign_ask) on the way.
	 */
	void (*start)(struct sign_req *s);
	/*
	 * Stops the signature under way (s->rq.cancelled says why); the
	 * answer to a question is withdrawn by sign.c first.  sign_done
	 * follows, within the call or when the work returns.  NULL: it
	 * cannot be stopped and ends soon.
	 */
	void (*cancel)(struct sign_req *s);
	/* Frees what init and start left (not s itself).  NULL: nothing. */
	void (*free)(struct sign_req *s);
	/* What the signing record adds (sk keys); NULL: nothing. */
	const struct record_sk *(*record)(struct sign_req *s,
	    struct record_sk *rs);
};

struct sign_req {
	struct request rq;		/* rq.conn, rq.id: the key */
	const struct signer *signer;
	uint8_t *data;			/* what is to be signed */
	size_t dlen;
	uint32_t flags;			/* SSH_AGENT_RSA_SHA2_* */
	struct sshbuf *sig;		/* the signature, as the reply carries it */
	struct ask *prompt;		/* a question open (confirm, PIN) */
	ask_done_fn *ask_cb;		/* sign.c: who hears its answer */
	int signing;			/* the signer has started */
	/* for telling the user (tell.h): set by sign.c and the signers */
	struct tell_words words;	/* what it is for (sign_words) */
	int words_made;
	const char *why;		/* why nobody could be asked */
	int retries;			/* PIN tries left after a PIN error; -1 */
	const char *token;		/* the token used, or NULL */
};

/* proto.c's handler for SSH2_AGENTC_SIGN_REQUEST. */
void sign_request(struct conn *c, struct sshbuf *msg);
/*
 * The signature is made (r 0, s->sig) or failed: recorded, answered, the
 * request ended (s freed).  A cancelled request answers failure whatever r.
 * A failure the user can act on is told where they look (tell_failure).
 */
void sign_done(struct sign_req *s, int r);
/*
 * For a signer: asks the user (sign.c withdraws the question if the
 * request is cancelled): text for askpass, and on a terminal the question
 * say_prompt(kind's action) words from sign_words.  cb gets s as its arg.
 * 0, or an error (cb will not run; s->why says why nobody could be asked).
 */
int sign_ask(struct sign_req *s, enum ask_kind kind, const char *text,
    ask_done_fn *cb) SKA_WUR;
/* The same with the terminal's words of action (say.h). */
int sign_ask_as(struct sign_req *s, enum ask_kind kind,
    enum say_action action, const char *text, ask_done_fn *cb) SKA_WUR;
/* What s is for, in the words of say.h (made once). */
const struct say_what *sign_words(struct sign_req *s);
/* How many in-memory signatures are running on workers (a lock waits). */
unsigned int sign_in_flight(void);

/* sk.c */
extern const struct signer sk_token_signer, sk_provider_signer;

#endif
