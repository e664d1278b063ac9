/*
 * The transports a token is reached through (token-impl.h) and what a spec
 * says by itself: its transport, whether it is well-formed, the identity
 * of its node.  A new transport is one file that defines its struct
 * token_transport and one row in the table below.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "token-impl.h"

extern const struct token_transport token_transport_unix;
extern const struct token_transport token_transport_hid;

/* Looked up in order: the one without a prefix, the default, comes last. */
static const struct token_transport *const transports[] = {
	&token_transport_unix,
	&token_transport_hid,
	NULL,
};

static pthread_once_t forms_once = PTHREAD_ONCE_INIT;
static char forms[256];

const struct token_transport *const *
token_transports(void)
{
	return transports;
}

const struct token_transport *
token_transport(const char *spec)
{
	const struct token_transport *const *tp;

	for (tp = transports; *tp != NULL; tp++)
		if (strncmp(spec, (*tp)->prefix, strlen((*tp)->prefix)) == 0)
			return *tp;
	return NULL;
}

int
token_spec_check(const char *spec)
{
	const struct token_transport *t;
	size_t n;

	if (spec == NULL || (n = strlen(spec)) == 0 || n >= TOKEN_SPEC_MAX ||
	    (t = token_transport(spec)) == NULL || !t->valid(spec))
		return SKA_ERR_INVALID_ARGUMENT;
	return 0;
}

/* "A, B or C" from the transports' forms */
static void
forms_init(void)
{
	size_t i, n = 0, len;

	for (n = 0; transports[n] != NULL; n++)
		;
	for (i = 0; i < n; i++) {
		len = strlen(forms);
		snprintf(forms + len, sizeof(forms) - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ",
		    transports[i]->form);
	}
}

const char *
token_spec_forms(void)
{
	pthread_once(&forms_once, forms_init);
	return forms;
}

int
token_node(const char *spec, struct token_node *n)
{
	const struct token_transport *t;

	if (token_spec_check(spec) != 0 || n == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	t = token_transport(spec);
	if (t->node == NULL)
		return SKA_ERR_NO_TOKEN;
	return t->node(spec, n);
}

int
token_node_same(const struct token_node *a, const struct token_node *b)
{
	return a->dev == b->dev && a->ino == b->ino &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int
token_node_stat(const char *path, mode_t type, struct token_node *n)
{
	struct stat st;

	if (*path != '/' || stat(path, &st) == -1 ||
	    (st.st_mode & S_IFMT) != type)
		return SKA_ERR_NO_TOKEN;
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	n->ctime = st.st_ctim;
	return 0;
}
