/*
 * Confirmation of a key's use (ssh-add -c, -O confirm-forwarded): when
 * it is needed and what askpass is asked (askq.h asks it).  Unlike
 * OpenSSH, the agent goes on serving others while the question is open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "askq.h"
#include "proto.h"

int
proto_confirm_required(struct conn *c)
{
	return opts.confirm_forwarded && conn_forwarded(c);
}

char *
proto_confirm_prompt(struct conn *c, struct identity *id)
{
	char *fp, *p = NULL, *dest;

	if ((fp = key_fingerprint(id->key, opts.fp_hash)) == NULL)
		return NULL;
	dest = proto_conn_destination(c);
	if (asprintf(&p, "Allow use of key %s?\nKey fingerprint %s.%s%s",
	    id->comment, fp, dest != NULL ? "\n" : "",
	    dest != NULL ? dest : "") < 0)
		p = NULL;
	free(dest);
	free(fp);
	return p;
}
