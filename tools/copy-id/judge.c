/*
 * What the remote authorized_keys says about each key, as sshd reads it:
 * a key counts as installed on the first line sshd accepts for it (options
 * it knows, not expired, not a CA or marker line).  That line's
 * restrictions are kept for the report; a line that holds the key but
 * that sshd ignores is remembered so that the user hears why the key is
 * added again.
 */
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "copy-id.h"

static int
note_line(struct key_entry *k, const struct authkeys_entry *e, size_t lineno,
    uint64_t now)
{
	struct authkeys_opts ao;
	const char *why;
	size_t n;

	switch (authkeys_entry_check(e, k->blob, k->bloblen, now, &why)) {
	case AUTHKEYS_ACCEPTED:
		if (k->present)
			return 0;
		k->present = 1;
		k->present_no_touch = (e->opts & AUTHKEYS_OPT_NO_TOUCH_REQUIRED)
		    != 0;
		ao.flags = e->opts;
		ao.expiry = e->expiry;
		if ((n = authkeys_restrictions(&ao, NULL, 0)) == 0)
			return 0;
		if ((k->restricted = malloc(n + 1)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		(void)authkeys_restrictions(&ao, k->restricted, n + 1);
		return 0;
	case AUTHKEYS_REFUSED:
		if (k->refused_line == 0) {
			k->refused_line = lineno;
			k->refused_why = why;
		}
		return 0;
	default:
		return 0;
	}
}

int
judge_file(struct keyset *ks, const uint8_t *file, size_t len, uint64_t now)
{
	struct authkeys_entry e;
	const uint8_t *nl;
	size_t i, n, lineno = 0;
	int r = 0;

	while (len > 0 && r == 0) {
		lineno++;
		nl = memchr(file, '\n', len);
		n = nl == NULL ? len : (size_t)(nl - file) + 1;
		if ((r = authkeys_parse_line((const char *)file, n, &e)) == 0) {
			for (i = 0; i < ks->n && r == 0; i++)
				r = note_line(&ks->k[i], &e, lineno, now);
		} else if (r != SKA_ERR_ALLOC_FAIL)
			r = 0;	/* sshd skips what it cannot read */
		authkeys_entry_clear(&e);
		file += n;
		len -= n;
	}
	return r;
}

int
missing_lines(const struct keyset *ks, struct sshbuf *out)
{
	size_t i;
	int r;

	for (i = 0; i < ks->n; i++) {
		if (!ks->k[i].present &&
		    (r = sshbuf_putf(out, "add %s\n", ks->k[i].line)) != 0)
			return r;
	}
	return 0;
}
