/* What the agent tells the user about a request (tell.h). */
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "keystore.h"
#include "notify.h"
#include "options.h"
#include "record.h"
#include "sigdata.h"
#include "tell.h"

int
tell_forwarded(const struct conn *c)
{
	size_t i;

	for (i = 0; i < c->nbinds; i++)
		if (c->binds[i].forwarded)
			return 1;
	return 0;
}

void
tell_words_make(struct conn *c, const struct identity *id,
    const uint8_t *data, size_t dlen, struct tell_words *tw)
{
	const struct key *named;

	memset(tw, 0, sizeof(*tw));
	tw->w.use = sigdata_describe(data, dlen, &tw->use_text);
	tw->w.use_text = tw->use_text;
	tw->w.comment = id->comment;
	if (c->nbinds > 0) {
		tw->w.forwarded = tell_forwarded(c);
		tw->fp = key_fingerprint(c->binds[c->nbinds - 1].hostkey,
		    opts.fp_hash);
		tw->w.fp = tw->fp;
	}
	if (tw->w.use == NULL || strcmp(tw->w.use, "login") != 0)
		return;
	/* the local ssh names the first hop; what it forwards goes on */
	named = c->nbinds == 0 ? NULL : tw->w.forwarded ?
	    c->binds[0].hostkey : c->binds[c->nbinds - 1].hostkey;
	dest_view_make("/proc", c->pid, c->uid, named, tw->use_text,
	    &tw->dest);
	tw->w.dest = &tw->dest;
}

void
tell_words_clear(struct tell_words *tw)
{
	if (tw == NULL)
		return;
	free(tw->use_text);
	free(tw->fp);
	dest_view_clear(&tw->dest);
	memset(tw, 0, sizeof(*tw));
}

void
tell_notice_info(struct notice_info *ni, struct conn *c,
    const struct identity *id, const char *fp, const char *token)
{
	memset(ni, 0, sizeof(*ni));
	ni->key = fp;
	ni->key_type = key_type_short(id->key);
	ni->comment = id->comment;
	ni->token = token;
	ni->requester = conn_requester(c);
	ni->pid = c->pid;
	ni->uid = c->uid;
}

void
tell_failure(struct conn *c, const struct identity *id, int r, int retries,
    const char *token, const char *why)
{
	struct notice_info ni;
	char *line, *fp;

	if ((line = say_failure(r, retries, id->comment, why,
	    id->p11 != NULL)) == NULL)
		return;
	fp = key_fingerprint(id->key, opts.fp_hash);
	tell_notice_info(&ni, c, id, fp, token);
	ni.event = "failure";
	ni.message = line;
	ni.result = ska_err(r);
	notice_failure(&ni);
	free(fp);
	free(line);
}
