/*
 * The identities the agent holds.  Lookup by public blob is a hash table
 * (SipHash with a random key), so it does not grow with the number of keys;
 * listings follow the order keys were added, as OpenSSH.
 *
 * Locking encrypts every private key under a key derived from the lock
 * password (Argon2id), keeping only public copies in the clear: a memory
 * image of a locked agent holds no usable key.  The password itself is kept
 * only as a hash of the derived key.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "agent-proto.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "p11.h"
#include "secmem.h"

static unsigned long long lock_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t lock_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
#define SEAL_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG	crypto_aead_xchacha20poly1305_ietf_ABYTES

static struct identity **buckets;
static size_t nbuckets, nids, nconstrained;
static struct identity *head, *tail;
static uint8_t hashkey[crypto_shorthash_KEYBYTES];
static struct sshbuf *answer;		/* cached REQUEST_IDENTITIES body */
static uint64_t next_death;

static int locked;
static uint8_t lock_salt[crypto_pwhash_SALTBYTES];
static uint8_t lock_verifier[32];	/* BLAKE2b of the derived check half */

int
keystore_init(void)
{
	randombytes_buf(hashkey, sizeof(hashkey));
	if ((buckets = calloc(64, sizeof(*buckets))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	nbuckets = 64;
	return 0;
}

static size_t
bucket_of(const uint8_t *blob, size_t len)
{
	uint64_t h;

	crypto_shorthash((uint8_t *)&h, blob, len, hashkey);
	return (size_t)(h & (nbuckets - 1));
}

static void
rehash(void)
{
	struct identity **nb, *id;
	size_t n = nbuckets * 2, i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	free(buckets);
	buckets = nb;
	nbuckets = n;
	for (id = head; id != NULL; id = id->next) {
		const uint8_t *blob;
		size_t len;

		blob = key_blob(id->key, &len);
		i = bucket_of(blob, len);
		id->hnext = buckets[i];
		buckets[i] = id;
	}
}

struct identity *
identity_new(void)
{
	struct identity *id;

	if ((id = calloc(1, sizeof(*id))) == NULL)
		return NULL;
	id->refs = 1;
	return id;
}

void
identity_ref(struct identity *id)
{
	__atomic_add_fetch(&id->refs, 1, __ATOMIC_RELAXED);
}

void
dest_constraints_free(struct dest_constraint *d, size_t n)
{
	size_t i, j;
	struct dest_hop *h;

	for (i = 0; i < n; i++) {
		for (h = &d[i].from; h != NULL; h = h == &d[i].from ? &d[i].to : NULL) {
			free(h->user);
			free(h->host);
			for (j = 0; j < h->nkeys; j++)
				key_free(h->keys[j].key);
			free(h->keys);
		}
	}
	free(d);
}

int
identity_sk_external(const struct identity *id)
{
	return id->sk_provider != NULL &&
	    strcasecmp(id->sk_provider, "internal") != 0;
}

void
identity_unref(struct identity *id)
{
	if (id == NULL || __atomic_sub_fetch(&id->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	key_free(id->key);
	free(id->comment);
	free(id->sk_provider);
	p11_module_unref(id->p11);
	dest_constraints_free(id->dest, id->ndest);
	if (id->sealed != NULL) {
		sodium_memzero(id->sealed, id->sealedlen);
		free(id->sealed);
	}
	sodium_memzero(id, sizeof(*id));
	free(id);
}

static void
invalidate(void)
{
	sshbuf_free(answer);
	answer = NULL;
}

struct identity *
keystore_lookup(const uint8_t *blob, size_t len)
{
	struct identity *id;
	const uint8_t *b;
	size_t l;

	if (buckets == NULL)
		return NULL;
	for (id = buckets[bucket_of(blob, len)]; id != NULL; id = id->hnext) {
		b = key_blob(id->key, &l);
		if (l == len && memcmp(b, blob, len) == 0)
			return id;
	}
	return NULL;
}

static void
unlink_identity(struct identity *id)
{
	struct identity **pp;
	const uint8_t *blob;
	size_t len;

	blob = key_blob(id->key, &len);
	for (pp = &buckets[bucket_of(blob, len)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == id) {
			*pp = id->hnext;
			break;
		}
	}
	if (id->prev != NULL)
		id->prev->next = id->next;
	else
		head = id->next;
	if (id->next != NULL)
		id->next->prev = id->prev;
	else
		tail = id->prev;
	id->prev = id->next = id->hnext = NULL;
	nids--;
	if (id->ndest != 0)
		nconstrained--;
	invalidate();
}

void
keystore_add(struct identity *id)
{
	struct identity *old;
	const uint8_t *blob;
	size_t len, i;

	blob = key_blob(id->key, &len);
	if ((old = keystore_lookup(blob, len)) != NULL) {
		/* replaces it in place: same position in listings */
		id->prev = old->prev;
		id->next = old->next;
		if (id->prev != NULL)
			id->prev->next = id;
		else
			head = id;
		if (id->next != NULL)
			id->next->prev = id;
		else
			tail = id;
		i = bucket_of(blob, len);
		{
			struct identity **pp;

			for (pp = &buckets[i]; *pp != old; pp = &(*pp)->hnext)
				;
			*pp = id;
			id->hnext = old->hnext;
		}
		old->prev = old->next = old->hnext = NULL;
		if (old->ndest != 0)
			nconstrained--;
		if (id->ndest != 0)
			nconstrained++;
		identity_unref(old);
	} else {
		if (nids >= nbuckets)
			rehash();
		i = bucket_of(blob, len);
		id->hnext = buckets[i];
		buckets[i] = id;
		id->next = NULL;
		id->prev = tail;
		if (tail != NULL)
			tail->next = id;
		else
			head = id;
		tail = id;
		nids++;
		if (id->ndest != 0)
			nconstrained++;
	}
	if (id->death_ms != 0 && (next_death == 0 || id->death_ms < next_death))
		next_death = id->death_ms;
	loop_wake_at(id->death_ms);
	invalidate();
}

int
keystore_remove(const uint8_t *blob, size_t len)
{
	struct identity *id;

	if ((id = keystore_lookup(blob, len)) == NULL)
		return SKA_ERR_KEY_NOT_FOUND;
	unlink_identity(id);
	identity_unref(id);
	return 0;
}

void
keystore_remove_all(void)
{
	while (head != NULL) {
		struct identity *id = head;

		unlink_identity(id);
		identity_unref(id);
	}
	next_death = 0;
}

size_t
keystore_count(void)
{
	return nids;
}

size_t
keystore_nconstrained(void)
{
	return nconstrained;
}

struct identity *
keystore_first(void)
{
	return head;
}

uint64_t
keystore_expire(uint64_t now)
{
	struct identity *id, *next;
	char *fp;

	if (next_death == 0 || now < next_death)
		return next_death;
	next_death = 0;
	for (id = head; id != NULL; id = next) {
		next = id->next;
		if (id->death_ms == 0)
			continue;
		if (id->death_ms <= now) {
			fp = key_fingerprint(id->key, opts.fp_hash);
			logit("expired key %s %s (%s)", key_type_short(id->key),
			    fp != NULL ? fp : "?", id->comment);
			free(fp);
			unlink_identity(id);
			identity_unref(id);
		} else if (next_death == 0 || id->death_ms < next_death)
			next_death = id->death_ms;
	}
	return next_death;
}

const struct sshbuf *
keystore_identities_answer(void)
{
	struct identity *id;
	const uint8_t *blob;
	size_t len;

	if (answer != NULL)
		return answer;
	if ((answer = sshbuf_new()) == NULL)
		return NULL;
	if (sshbuf_put_u8(answer, SSH2_AGENT_IDENTITIES_ANSWER) != 0 ||
	    sshbuf_put_u32(answer, (uint32_t)nids) != 0)
		goto fail;
	for (id = head; id != NULL; id = id->next) {
		blob = key_blob(id->key, &len);
		if (sshbuf_put_string(answer, blob, len) != 0 ||
		    sshbuf_put_cstring(answer, id->comment) != 0)
			goto fail;
	}
	return answer;
 fail:
	invalidate();
	return NULL;
}

/* Lock and unlock */

int
keystore_locked(void)
{
	return locked;
}

/* Runs on a worker: salt (fresh when locking) and the derived key. */
int
keystore_lock_prepare(const char *pw, size_t pwlen, uint8_t salt[16],
    uint8_t derived[64])
{
	if (crypto_pwhash(derived, 64, pw, pwlen, salt, lock_opslimit,
	    lock_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SKA_ERR_ALLOC_FAIL;
	return 0;
}

void
keystore_set_kdf_limits(unsigned long long ops, size_t mem)
{
	lock_opslimit = ops;
	lock_memlimit = mem;
}

void
keystore_unlock_salt(uint8_t salt[16])
{
	memcpy(salt, lock_salt, sizeof(lock_salt));
}

/*
 * Seals every identity's private form; all or nothing.  Keys whose private
 * half is elsewhere (a PKCS#11 module's) have nothing to seal: the lock
 * keeps them from signing.
 */
int
keystore_lock_apply(const uint8_t salt[16], const uint8_t derived[64])
{
	struct identity *id;
	struct sshbuf *priv = NULL;
	struct key **pubs = NULL;
	uint8_t **sealed = NULL;
	size_t *sealedlen = NULL, i, n = nids;
	unsigned long long clen;
	int r = SKA_ERR_ALLOC_FAIL;

	if (locked)
		return SKA_ERR_LOCKED;
	if ((pubs = calloc(n + 1, sizeof(*pubs))) == NULL ||
	    (sealed = calloc(n + 1, sizeof(*sealed))) == NULL ||
	    (sealedlen = calloc(n + 1, sizeof(*sealedlen))) == NULL ||
	    (priv = sshbuf_new()) == NULL)
		goto out;
	for (id = head, i = 0; id != NULL; id = id->next, i++) {
		if (!key_has_private(id->key))
			continue;
		sshbuf_reset(priv);
		if ((r = key_private_serialize(id->key, priv)) != 0 ||
		    (r = key_public_copy(id->key, &pubs[i])) != 0)
			goto out;
		sealedlen[i] = SEAL_NONCE + sshbuf_len(priv) + SEAL_TAG;
		if ((sealed[i] = malloc(sealedlen[i])) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		randombytes_buf(sealed[i], SEAL_NONCE);
		crypto_aead_xchacha20poly1305_ietf_encrypt(sealed[i] + SEAL_NONCE,
		    &clen, sshbuf_ptr(priv), sshbuf_len(priv), NULL, 0, NULL,
		    sealed[i], derived + 32);
	}
	for (id = head, i = 0; id != NULL; id = id->next, i++) {
		if (pubs[i] == NULL)
			continue;
		key_free(id->key);	/* wipes the private key */
		id->key = pubs[i];
		pubs[i] = NULL;
		id->sealed = sealed[i];
		id->sealedlen = sealedlen[i];
		sealed[i] = NULL;
	}
	memcpy(lock_salt, salt, sizeof(lock_salt));
	crypto_generichash(lock_verifier, sizeof(lock_verifier), derived, 32,
	    NULL, 0);
	locked = 1;
	invalidate();
	r = 0;
 out:
	for (i = 0; i < n && pubs != NULL; i++)
		key_free(pubs[i]);
	for (i = 0; i < n && sealed != NULL; i++)
		free(sealed[i]);
	free(pubs);
	free(sealed);
	free(sealedlen);
	sshbuf_free(priv);
	return r;
}

int
keystore_unlock_apply(const uint8_t derived[64])
{
	struct identity *id;
	struct sshbuf *priv = NULL;
	struct key **keys = NULL, *k;
	uint8_t check[32], *pt = NULL;
	size_t i, n = nids, maxlen = 0;
	unsigned long long ptlen;
	int r = SKA_ERR_ALLOC_FAIL;

	if (!locked)
		return SKA_ERR_INVALID_ARGUMENT;
	crypto_generichash(check, sizeof(check), derived, 32, NULL, 0);
	if (sodium_memcmp(check, lock_verifier, sizeof(check)) != 0)
		return SKA_ERR_KEY_WRONG_PASSPHRASE;
	for (id = head; id != NULL; id = id->next)
		if (id->sealedlen > maxlen)
			maxlen = id->sealedlen;
	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL ||
	    (pt = secmem_alloc(maxlen + 1)) == NULL)
		goto out;
	for (id = head, i = 0; id != NULL; id = id->next, i++) {
		if (id->sealed == NULL && !key_has_private(id->key))
			continue;	/* nothing was sealed */
		if (id->sealed == NULL || id->sealedlen < SEAL_NONCE + SEAL_TAG ||
		    crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
		    id->sealed + SEAL_NONCE, id->sealedlen - SEAL_NONCE, NULL, 0,
		    id->sealed, derived + 32) != 0) {
			r = SKA_ERR_INTERNAL;
			goto out;
		}
		if ((priv = sshbuf_from(pt, (size_t)ptlen)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		r = key_private_deserialize(priv, &keys[i]);
		sshbuf_free(priv);
		priv = NULL;
		sodium_memzero(pt, (size_t)ptlen);
		if (r != 0)
			goto out;
	}
	for (id = head, i = 0; id != NULL; id = id->next, i++) {
		if (keys[i] == NULL)
			continue;
		k = id->key;
		id->key = keys[i];
		keys[i] = NULL;
		key_free(k);
		sodium_memzero(id->sealed, id->sealedlen);
		free(id->sealed);
		id->sealed = NULL;
		id->sealedlen = 0;
	}
	locked = 0;
	sodium_memzero(lock_verifier, sizeof(lock_verifier));
	invalidate();
	r = 0;
 out:
	for (i = 0; i < n && keys != NULL; i++)
		key_free(keys[i]);
	free(keys);
	secmem_free(pt, maxlen + 1);
	return r;
}

void
keystore_wipe(void)
{
	keystore_remove_all();
	invalidate();
	locked = 0;
	sodium_memzero(lock_verifier, sizeof(lock_verifier));
	free(buckets);
	buckets = NULL;
	nbuckets = 0;
}
