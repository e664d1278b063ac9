/*
 * The keys to install: every key the agent holds (with sk options when it
 * tells the flags), or those of the -i files, or the newest ~/.ssh/id*.pub.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-client.h"
#include "authkeys.h"
#include "copy-id.h"
#include "key.h"
#include "keyfile.h"
#include "misc.h"

#define PUB_FILE_MAX	(1024 * 1024)

static void
key_entry_clear(struct key_entry *k)
{
	free(k->blob);
	free(k->comment);
	free(k->options);
	free(k->line);
	free(k->fp);
	free(k->source);
	free(k->restricted);
	memset(k, 0, sizeof(*k));
}

void
keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		key_entry_clear(&ks->k[i]);
	free(ks->k);
	memset(ks, 0, sizeof(*ks));
}

static int
keyset_has(const struct keyset *ks, const uint8_t *blob, size_t bloblen)
{
	size_t i;

	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].bloblen == bloblen &&
		    memcmp(ks->k[i].blob, blob, bloblen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Adds a key; certificates, keys key.c cannot read and duplicates are
 * skipped (with a word).  options: from a .pub file, or NULL.  sk_flags:
 * NULL when unknown.
 */
static int
keyset_add(struct keyset *ks, const char *source, const uint8_t *blob,
    size_t bloblen, const char *comment, const char *options,
    const uint8_t *sk_flags)
{
	struct key *key = NULL;
	struct key_entry k, *nk;
	const char *skopt;
	int r;

	memset(&k, 0, sizeof(k));
	if ((r = key_from_blob(blob, bloblen, &key)) != 0) {
		error("skipping a key of %s: %s", source, ska_err(r));
		r = 0;
		goto out;
	}
	if (keyset_has(ks, blob, bloblen))
		goto out;
	k.type = key_type_name(key);
	if ((k.fp = key_fingerprint(key, KEY_FP_SHA256)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (key_is_cert(key)) {
		error("skipping certificate %s %s: a certificate is trusted "
		    "through its CA, not installed", k.type, k.fp);
		goto out;
	}
	skopt = sk_flags == NULL ? NULL : authkeys_sk_options(k.type, *sk_flags);
	if (options != NULL && skopt != NULL) {
		if (asprintf(&k.options, "%s,%s", options, skopt) == -1)
			k.options = NULL;
	} else if (options != NULL || skopt != NULL)
		k.options = strdup(options != NULL ? options : skopt);
	k.comment = printable(comment);
	if (((options != NULL || skopt != NULL) && k.options == NULL) ||
	    (k.source = strdup(source)) == NULL ||
	    (k.blob = malloc(bloblen)) == NULL ||
	    (nk = reallocarray(ks->k, ks->n + 1, sizeof(*nk))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	ks->k = nk;
	memcpy(k.blob, blob, bloblen);
	k.bloblen = bloblen;
	if ((r = authkeys_format_line(k.options, blob, bloblen, k.comment,
	    &k.line)) != 0) {
		error("cannot write key %s of %s: %s", k.fp, source,
		    ska_err(r));
		goto out;
	}
	ks->k[ks->n++] = k;
	memset(&k, 0, sizeof(k));
	r = 0;
 out:
	key_free(key);
	key_entry_clear(&k);
	return r;
}

/* The agent's keys, with sk options when the agent tells the flags. */
static int
keys_from_agent(struct keyset *ks)
{
	struct agent_keylist *ids = NULL, *info = NULL;
	const struct agent_key *ki;
	size_t i;
	int fd = -1, r;

	if ((r = agent_connect(NULL, &fd)) != 0 ||
	    (r = agent_list_identities(fd, &ids)) != 0)
		goto out;
	if (ids->n == 0) {
		r = SKA_ERR_KEY_NOT_FOUND;
		goto out;
	}
	/* Stock ssh-agent refuses the extension: flags unknown, no options. */
	if (agent_key_info(fd, &info) != 0)
		info = NULL;
	for (i = 0; i < ids->n; i++) {
		ki = agent_keylist_find(info, ids->keys[i].blob,
		    ids->keys[i].bloblen);
		if ((r = keyset_add(ks, "the agent", ids->keys[i].blob,
		    ids->keys[i].bloblen,
		    ids->keys[i].comment, NULL,
		    ki != NULL ? &ki->sk_flags : NULL)) != 0)
			goto out;
	}
	r = ks->n == 0 ? SKA_ERR_KEY_NOT_FOUND : 0;
 out:
	if (fd != -1)
		close(fd);
	agent_keylist_free(ids);
	agent_keylist_free(info);
	return r;
}

static int
read_file(const char *path, size_t max, struct sshbuf **bp)
{
	struct stat st;
	int fd, r;

	*bp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return SKA_ERR_SYSTEM;
	if (fstat(fd, &st) == -1)
		r = SKA_ERR_SYSTEM;
	else if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		r = SKA_ERR_INVALID_FORMAT;
	else
		r = read_fd(fd, max, bp);
	close(fd);
	return r;
}

/*
 * The sk flags in an unencrypted private key file whose public key is blob
 * (PROTOCOL.u2f).  Anything else, encrypted files included:
 * SKA_ERR_KEY_NOT_FOUND.
 */
static int
sk_flags_from_private(const char *path, const uint8_t *blob, size_t bloblen,
    uint8_t *flagsp)
{
	struct key *k = NULL;
	const uint8_t *kb;
	size_t kblen;
	int r = SKA_ERR_KEY_NOT_FOUND;

	if (keyfile_load_private(path, NULL, &k, NULL, NULL) != 0)
		goto out;
	kb = key_blob(k, &kblen);
	if (!key_is_sk(k) || kblen != bloblen || memcmp(kb, blob, bloblen) != 0)
		goto out;
	*flagsp = key_sk_flags(k);
	r = 0;
 out:
	key_free(k);
	return r;
}

/*
 * The keys of a .pub file (every key line; options kept).  priv, when not
 * NULL, is the private key file next to it, read for sk flags.
 */
static int
keys_from_file(struct keyset *ks, const char *pub, const char *priv)
{
	struct authkeys_entry e;
	struct sshbuf *file = NULL;
	const char *p, *nl;
	size_t left, len, lineno = 0, before = ks->n, dups = 0;
	uint8_t flags;
	int known, r;

	memset(&e, 0, sizeof(e));
	if ((r = read_file(pub, PUB_FILE_MAX, &file)) != 0) {
		error("cannot read %s: %s", pub, r == SKA_ERR_INVALID_FORMAT ?
		    "not a regular file of a sane size" : strerror(errno));
		goto out;
	}
	p = (const char *)sshbuf_ptr(file);
	left = sshbuf_len(file);
	while (left > 0) {
		lineno++;
		nl = memchr(p, '\n', left);
		len = nl == NULL ? left : (size_t)(nl - p) + 1;
		if ((r = authkeys_parse_line(p, len, &e)) != 0) {
			error("%s:%zu: not a public key: %s", pub, lineno,
			    ska_err(r));
			goto out;
		}
		p += len;
		left -= len;
		if (e.type == NULL)
			continue;
		if (e.refused != NULL) {
			error("%s:%zu: options sshd would refuse: %s", pub,
			    lineno, e.refused);
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		dups += keyset_has(ks, e.blob, e.bloblen);
		known = priv != NULL && strncmp(e.type, "sk-", 3) == 0 &&
		    sk_flags_from_private(priv, e.blob, e.bloblen, &flags) == 0;
		if ((r = keyset_add(ks, pub, e.blob, e.bloblen, e.comment,
		    e.options, known ? &flags : NULL)) != 0)
			goto out;
		authkeys_entry_clear(&e);
	}
	if (ks->n == before && dups == 0) {
		error("no key to install in %s", pub);
		r = SKA_ERR_KEY_NOT_FOUND;
		goto out;
	}
	r = 0;
 out:
	authkeys_entry_clear(&e);
	sshbuf_free(file);
	return r;
}

/* Does ls -t list a (modified ta) before b? */
static int
newer(const struct timespec *ta, const char *a, const struct timespec *tb,
    const char *b)
{
	if (ta->tv_sec != tb->tv_sec)
		return ta->tv_sec > tb->tv_sec;
	if (ta->tv_nsec != tb->tv_nsec)
		return ta->tv_nsec > tb->tv_nsec;
	return strcmp(a, b) < 0;
}

/* The newest ~/.ssh/id*.pub that is not a -cert.pub, as ssh-copy-id. */
static char *
default_pub_file(void)
{
	const char *home;
	char *dir = NULL, *best = NULL, *path = NULL;
	struct timespec best_t = { 0, 0 };
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d = NULL;

	if ((home = home_dir()) == NULL ||
	    asprintf(&dir, "%s/.ssh", home) == -1 ||
	    (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "id", 2) != 0 || len < 6 ||
		    strcmp(de->d_name + len - 4, ".pub") != 0 ||
		    (len >= 9 && strcmp(de->d_name + len - 9, "-cert.pub") == 0))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) == -1) {
			path = NULL;
			goto out;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (best == NULL || newer(&st.st_mtim, path, &best_t, best))) {
			free(best);
			best = path;
			best_t = st.st_mtim;
		} else
			free(path);
		path = NULL;
	}
 out:
	if (d != NULL)
		closedir(d);
	free(dir);
	return best;
}

/* -i name: "x.pub" or "x" both mean the pair x.pub / x. */
static int
keys_from_id_file(struct keyset *ks, const char *name)
{
	char *pub = NULL, *priv = NULL;
	size_t len = strlen(name);
	int r;

	if (len > 4 && strcmp(name + len - 4, ".pub") == 0) {
		pub = strdup(name);
		priv = strndup(name, len - 4);
	} else {
		if (asprintf(&pub, "%s.pub", name) == -1)
			pub = NULL;
		priv = strdup(name);
	}
	if (pub == NULL || priv == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	r = keys_from_file(ks, pub, priv);
 out:
	free(pub);
	free(priv);
	return r;
}

/* The agent's keys, else the newest ~/.ssh/id*.pub. */
static int
default_keys(const struct options *o, struct keyset *ks, int agent_first)
{
	char *def = NULL;
	int r = SKA_ERR_KEY_NOT_FOUND;

	if (agent_first) {
		if ((r = keys_from_agent(ks)) == 0)
			return 0;
		keyset_clear(ks);
	}
	if ((def = default_pub_file()) == NULL) {
		if (!agent_first)
			error("-i: no ~/.ssh/id*.pub found");
		else
			error("no keys to install: %s, and there is no "
			    "~/.ssh/id*.pub (use -i FILE)",
			    r == SKA_ERR_KEY_NOT_FOUND ? "the agent holds no keys" :
			    r == SKA_ERR_AGENT_NOT_PRESENT ?
			    "no agent (SSH_AUTH_SOCK)" : ska_err(r));
		return SKA_ERR_KEY_NOT_FOUND;
	}
	r = keys_from_id_file(ks, def);
	free(def);
	return r;
}

int
select_keys(const struct options *o, struct keyset *ks)
{
	size_t i;
	int r;

	if (!o->seen_i)
		return default_keys(o, ks, 1);
	for (i = 0; i < o->nid_files; i++) {
		r = o->id_files[i] == NULL ? default_keys(o, ks, 0) :
		    keys_from_id_file(ks, o->id_files[i]);
		if (r != 0)
			return r;
	}
	return 0;
}
