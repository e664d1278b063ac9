/*
 * Allocation failure, each allocation in turn (torture.h): the wire
 * buffer, every key and certificate codec on ssh-keygen's own files,
 * signatures, openssh-key-v1 files read and written (encrypted with every
 * cipher), authorized_keys lines, the agent client and the messages of
 * skagent-pkcs11-helper with the keys made of PKCS#11 attributes.  Every failure
 * must give an error or a result still right; never a crash, a wrong
 * result, a leak (SANITIZE=1) or a half-written file.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "agent-client.h"
#include "authkeys.h"
#include "key.h"
#include "keyfile.h"
#include "p11helper-msg.h"
#include "secmem.h"
#include "sshbuf.h"
#include "tap.h"
#include "torture.h"

#define DATA "tests/unit/data/"
#define PASS "secret"

struct file {
	const char *name;
	char *text;
	size_t len;
};

static char tmpdir[] = "/tmp/test-torture.XXXXXX";

/* A fixture, read before any allocation may fail; .pub lines chomped. */
static struct file *
fixture(const char *name)
{
	char path[256];
	struct file *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		abort();
	snprintf(path, sizeof(path), DATA "%s", name);
	f->name = name;
	f->text = (char *)tap_read_file(path, &f->len);
	if (strstr(name, ".pub") != NULL)
		f->text[strcspn(f->text, "\r\n")] = '\0';
	return f;
}

static void
fixture_free(struct file *f)
{
	free(f->text);
	free(f);
}

/* The wire buffer: putters, getters, growth, encodings. */
static int
t_sshbuf(void *arg)
{
	static const uint8_t big[] = { 0x80, 1, 2, 3 };
	struct sshbuf *b = NULL, *c = NULL, *v = NULL;
	char *s = NULL, *hex = NULL, *b64 = NULL;
	const uint8_t *p;
	uint8_t *d = NULL;
	size_t len, i;
	uint32_t u;
	int r;

	(void)arg;
	if ((b = sshbuf_new()) == NULL || (c = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (i = 0; i < 100; i++) {	/* grows past its first allocation */
		if ((r = sshbuf_put_u32(b, (uint32_t)i)) != 0 ||
		    (r = sshbuf_put_cstring(b, "a string")) != 0 ||
		    (r = sshbuf_put_bignum2_bytes(b, big, sizeof(big))) != 0)
			goto out;
	}
	if ((r = sshbuf_putf(b, "%s-%d", "fmt", 42)) != 0 ||
	    (r = sshbuf_put_stringb(c, b)) != 0)
		goto out;
	if ((hex = sshbuf_dtob16(c)) == NULL ||
	    (b64 = sshbuf_dtob64_string(c, 1)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	sshbuf_reset(b);
	if ((r = sshbuf_b64tod(b, b64)) != 0)
		goto out;
	if (!sshbuf_equals(b, c) || strlen(hex) != 2 * sshbuf_len(c)) {
		r = TORTURE_WRONG;
		goto out;
	}
	if ((r = sshbuf_froms(b, &v)) != 0)
		goto out;
	for (i = 0; i < 100; i++) {
		if ((r = sshbuf_get_u32(v, &u)) != 0 ||
		    (r = sshbuf_get_cstring(v, &s, &len)) != 0)
			goto out;
		if (u != i || strcmp(s, "a string") != 0) {
			r = TORTURE_WRONG;
			goto out;
		}
		free(s);
		s = NULL;
		if ((r = sshbuf_get_bignum2_bytes_direct(v, &p, &len)) != 0)
			goto out;
	}
	if ((r = sshbuf_get_string(v, &d, &len)) == 0)
		r = TORTURE_WRONG;	/* the putf text is no string */
	else
		r = 0;
	sshbuf_free(c);
	if ((c = sshbuf_fromb(v)) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
 out:
	free(s);
	free(d);
	free(hex);
	free(b64);
	sshbuf_free(v);
	sshbuf_free(c);
	sshbuf_free(b);
	return r;
}

/* A .pub line (plain or certificate): parse, write back, fingerprints, copies. */
static int
t_public(void *arg)
{
	const struct file *f = arg;
	struct key *k = NULL, *k2 = NULL, *k3 = NULL;
	struct sshbuf *b = NULL;
	char *comment = NULL, *line = NULL, *fp1 = NULL, *fp2 = NULL;
	int r;

	if ((r = key_from_public_line(f->text, &k, &comment)) != 0 ||
	    (r = key_to_public_line(k, comment, &line)) != 0)
		goto out;
	if (strcmp(line, f->text) != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	if ((fp1 = key_fingerprint(k, KEY_FP_SHA256)) == NULL ||
	    (fp2 = key_fingerprint(k, KEY_FP_MD5)) == NULL ||
	    (b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = key_public_copy(k, &k2)) != 0 ||
	    (r = key_drop_cert(k, &k3)) != 0 ||
	    (r = key_plain_blob(k, b)) != 0)
		goto out;
	if (!key_equal(k, k2) || !key_equal_public(k, k3) ||
	    key_is_cert(k3)) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	free(comment);
	free(line);
	free(fp1);
	free(fp2);
	sshbuf_free(b);
	key_free(k);
	key_free(k2);
	key_free(k3);
	return r;
}

/* Sign with k (alg may be NULL) and verify. */
static int
sign_verify(const struct key *k, const char *alg)
{
	static const uint8_t data[] = "data to sign";
	struct sshbuf *sig = NULL;
	int r;

	if ((sig = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = key_sign(k, data, sizeof(data), alg, sig)) == 0)
		r = key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data,
		    sizeof(data), alg);
	/* a signature that does not verify, when both worked, is wrong */
	sshbuf_free(sig);
	return r;
}

/* An unencrypted private key file: read, private form round trip, sign. */
static int
t_private(void *arg)
{
	const struct file *f = arg;
	struct key *k = NULL, *k2 = NULL, *k3 = NULL;
	struct sshbuf *b = NULL;
	char *comment = NULL;
	int r;

	if ((r = keyfile_parse_private((const uint8_t *)f->text, f->len, NULL,
	    &k, &comment, NULL)) != 0)
		goto out;
	if ((b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = key_private_serialize(k, b)) != 0 ||
	    (r = key_private_deserialize(b, &k2)) != 0 ||
	    (r = key_dup(k2, &k3)) != 0)
		goto out;
	if (!key_equal(k, k2) || !key_equal(k, k3) || !key_has_private(k3) ||
	    sshbuf_len(b) != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = sign_verify(k3, key_type(k3) == KEY_RSA ? "rsa-sha2-512" : NULL);
 out:
	free(comment);
	sshbuf_free(b);
	key_free(k);
	key_free(k2);
	key_free(k3);
	return r;
}

/*
 * A certificate with its private key, as ssh-add sends it: string
 * certtype, string certblob, the private fields.  arg: "name" for
 * DATA/name and DATA/name-cert.pub.
 */
struct certpair {
	struct file *priv, *cert;
};

static int
t_cert_private(void *arg)
{
	const struct certpair *cp = arg;
	struct key *k = NULL, *cert = NULL, *kc = NULL;
	struct sshbuf *b = NULL, *pf = NULL;
	const uint8_t *blob;
	size_t len;
	int r;

	if ((r = keyfile_parse_private((const uint8_t *)cp->priv->text,
	    cp->priv->len, NULL, &k, NULL, NULL)) != 0 ||
	    (r = key_from_public_line(cp->cert->text, &cert, NULL)) != 0)
		goto out;
	if ((b = sshbuf_new()) == NULL || (pf = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* the plain private form without its type and public fields */
	if ((r = key_private_serialize(k, pf)) != 0 ||
	    (r = sshbuf_get_string_direct(pf, NULL, NULL)) != 0)
		goto out;
	if (key_type(k) == KEY_ECDSA || key_type(k) == KEY_RSA) {
		if ((r = sshbuf_get_string_direct(pf, NULL, NULL)) != 0 ||
		    (r = sshbuf_get_string_direct(pf, NULL, NULL)) != 0)
			goto out;
	}
	blob = key_blob(cert, &len);
	if ((r = sshbuf_put_cstring(b, key_type_name(cert))) != 0 ||
	    (r = sshbuf_put_string(b, blob, len)) != 0 ||
	    (r = sshbuf_putb(b, pf)) != 0 ||
	    (r = key_private_deserialize(b, &kc)) != 0)
		goto out;
	if (!key_equal(kc, cert) || !key_has_private(kc)) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = sign_verify(kc, key_type(kc) == KEY_RSA ? "rsa-sha2-256" : NULL);
 out:
	sshbuf_free(b);
	sshbuf_free(pf);
	key_free(k);
	key_free(cert);
	key_free(kc);
	return r;
}

/* An encrypted file (2 bcrypt rounds): public part, private part, written back. */
static int
t_encrypted(void *arg)
{
	const struct file *f = arg;
	struct keyfile_params p;
	struct key *k = NULL, *pub = NULL;
	struct sshbuf *out = NULL;
	char *comment = NULL;
	int r;

	if ((r = keyfile_parse_public((const uint8_t *)f->text, f->len, &pub,
	    NULL)) != 0 ||
	    (r = keyfile_parse_private((const uint8_t *)f->text, f->len, PASS,
	    &k, &comment, &p)) != 0)
		goto out;
	if ((out = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	p.fixed = 1;
	if ((r = keyfile_serialize_private_params(k, comment, PASS, &p,
	    out)) != 0)
		goto out;
	if (!key_equal(k, pub) || sshbuf_len(out) != f->len ||
	    memcmp(sshbuf_ptr(out), f->text, f->len) != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	free(comment);
	sshbuf_free(out);
	key_free(k);
	key_free(pub);
	return r;
}

static int
dir_entries(void)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if ((d = opendir(tmpdir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Saving a key pair (encrypted, 1 round) and loading it: or nothing on disk. */
static int
t_save(void *arg)
{
	const struct key *k = arg;
	struct key *k2 = NULL, *pub = NULL;
	char path[64], pubpath[64], *comment = NULL;
	int r, n;

	snprintf(path, sizeof(path), "%s/id", tmpdir);
	snprintf(pubpath, sizeof(pubpath), "%s/id.pub", tmpdir);
	if ((r = keyfile_save(path, k, "torture", PASS, 1, 0)) != 0) {
		/* nothing half-written, nothing left behind */
		if ((n = dir_entries()) != 0) {
			tap_diag("save failed (%s) and left %d files", ska_err(r), n);
			r = TORTURE_WRONG;
		}
		goto out;
	}
	if ((r = keyfile_load_private(path, PASS, &k2, &comment, NULL)) != 0 ||
	    (r = keyfile_load_public(pubpath, &pub, NULL)) != 0)
		goto out;
	if (!key_equal(k, k2) || !key_equal(k, pub) ||
	    strcmp(comment, "torture") != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	unlink(path);
	unlink(pubpath);
	free(comment);
	key_free(k2);
	key_free(pub);
	return r;
}

static int
t_generate(void *arg)
{
	const int *what = arg;	/* type, bits */
	struct key *k = NULL, *pub = NULL;
	char *line = NULL;
	int r;

	if ((r = key_generate((enum key_type)what[0], (unsigned int)what[1],
	    &k)) != 0 ||
	    (r = key_to_public_line(k, "c", &line)) != 0 ||
	    (r = key_from_public_line(line, &pub, NULL)) != 0)
		goto out;
	if (!key_equal(k, pub)) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = sign_verify(k, NULL);
 out:
	free(line);
	key_free(k);
	key_free(pub);
	return r;
}

/* sk keys: made at enrollment, signature encoded and verified, round trips. */
/*
 * The PKCS#11 helper's messages, and keys made of a module's attributes:
 * arg is the rsa2048 and ecdsa384 public key lines.
 */
static int
t_p11(void *arg)
{
	static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	static const uint8_t data[] = "login request";
	struct file **f = arg;
	struct key *rsa = NULL, *ec = NULL;
	struct sshbuf *b = NULL, *v = NULL, *body = NULL, *attrs = NULL;
	struct p11_msg *m = NULL;
	struct p11_key keys[2];
	const uint8_t *e, *n, *q, *blob;
	size_t elen, nlen, qlen, len;
	uint32_t mech;
	int r;

	memset(keys, 0, sizeof(keys));
	if ((r = key_from_public_line(f[0]->text, &rsa, NULL)) != 0 ||
	    (r = key_from_public_line(f[1]->text, &ec, NULL)) != 0)
		goto out;
	if ((b = sshbuf_new()) == NULL || (attrs = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* the attributes back into keys, as the helper builds them */
	blob = key_blob(rsa, &len);
	if ((v = sshbuf_from(blob, len)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_get_string_direct(v, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_bignum2_bytes_direct(v, &e, &elen)) != 0 ||
	    (r = sshbuf_get_bignum2_bytes_direct(v, &n, &nlen)) != 0 ||
	    (r = p11_blob_rsa(n, nlen, e, elen, attrs)) != 0)
		goto out;
	if (sshbuf_len(attrs) != len || memcmp(sshbuf_ptr(attrs), blob, len) != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	sshbuf_free(v);
	blob = key_blob(ec, &len);
	if ((v = sshbuf_from(blob, len)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	sshbuf_reset(attrs);
	if ((r = sshbuf_get_string_direct(v, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(v, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(v, &q, &qlen)) != 0 ||
	    (r = p11_blob_ec(p384, sizeof(p384), q, qlen, attrs)) != 0)
		goto out;
	if (sshbuf_len(attrs) != len || memcmp(sshbuf_ptr(attrs), blob, len) != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	/* a load and its reply, a signature request and its reply */
	keys[0].blob = (uint8_t *)(uintptr_t)key_blob(rsa, &keys[0].bloblen);
	keys[0].label = (char *)(uintptr_t)"rsa";
	keys[1].blob = (uint8_t *)(uintptr_t)key_blob(ec, &keys[1].bloblen);
	keys[1].label = (char *)(uintptr_t)"ec";
	if ((r = p11_put_load_req(1, "/usr/lib/m.so", "123456", b)) != 0 ||
	    (r = p11_frame_take(b, &body)) != 0 || (r = p11_get_req(body, &m)) != 0)
		goto out;
	if (m->pin == NULL || strcmp(m->pin, "123456") != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	p11_msg_free(m);
	m = NULL;
	sshbuf_free(body);
	body = NULL;
	if ((r = p11_put_load_reply(1, P11_OK, keys, 2, b)) != 0 ||
	    (r = p11_frame_take(b, &body)) != 0 ||
	    (r = p11_get_reply(body, &m)) != 0)
		goto out;
	if (m->nkeys != 2 || strcmp(m->keys[1].label, "ec") != 0) {
		r = TORTURE_WRONG;
		goto out;
	}
	p11_msg_free(m);
	m = NULL;
	sshbuf_free(body);
	body = NULL;
	sshbuf_reset(attrs);
	if ((r = p11_sign_input(ec, 0, data, sizeof(data), &mech, attrs)) != 0 ||
	    (r = p11_put_sign_req(2, 1, mech, sshbuf_ptr(attrs),
	    sshbuf_len(attrs), NULL, b)) != 0 ||
	    (r = p11_frame_take(b, &body)) != 0 ||
	    (r = p11_get_req(body, &m)) != 0)
		goto out;
	if (m->mech != P11_MECH_ECDSA || m->tbslen != 48) {
		r = TORTURE_WRONG;
		goto out;
	}
	p11_msg_free(m);
	m = NULL;
	sshbuf_free(body);
	body = NULL;
	if ((r = p11_put_sign_reply(2, P11_OK, (const uint8_t *)"sig", 3, b)) != 0 ||
	    (r = p11_frame_take(b, &body)) != 0 ||
	    (r = p11_get_reply(body, &m)) != 0)
		goto out;
	if (m->siglen != 3) {
		r = TORTURE_WRONG;
		goto out;
	}
	/* not a signature of the key: refused, whatever fails */
	sshbuf_reset(attrs);
	r = p11_sign_result(ec, 0, data, sizeof(data), m->sig, m->siglen, attrs);
	if (r == 0)
		r = TORTURE_WRONG;
	else if (r == SKA_ERR_SIGNATURE_INVALID)
		r = 0;
 out:
	p11_msg_free(m);
	sshbuf_free(body);
	sshbuf_free(v);
	sshbuf_free(attrs);
	sshbuf_free(b);
	key_free(rsa);
	key_free(ec);
	return r;
}

static int
t_sk(void *arg)
{
	static const uint8_t data[] = "login request";
	const char *app = "ssh:torture";
	uint8_t seed[32], pk[32], sk[64], msg[69], raw[64], flags;
	struct key *k = NULL, *k2 = NULL, *pub = NULL;
	struct sshbuf *sig = NULL, *b = NULL;
	uint32_t counter;
	int r;

	(void)arg;
	/* a fixed key: the scenario must do the same every time */
	memset(seed, 7, sizeof(seed));
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
	crypto_hash_sha256(msg, (const uint8_t *)app, strlen(app));
	msg[32] = 0x05;
	msg[33] = msg[34] = 0;
	msg[35] = 1;
	msg[36] = 2;
	crypto_hash_sha256(msg + 37, data, sizeof(data));
	crypto_sign_ed25519_detached(raw, NULL, msg, sizeof(msg), sk);
	sodium_memzero(sk, sizeof(sk));
	if ((r = key_sk_new(KEY_ED25519_SK, pk, 32, app, 0x01,
	    (const uint8_t *)"handle", 6, &k)) != 0)
		goto out;
	if ((sig = sshbuf_new()) == NULL || (b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = key_sk_signature_encode(k, raw, 64, 0x05, 0x102, sig)) != 0 ||
	    (r = key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data,
	    sizeof(data), NULL)) != 0 ||
	    (r = key_sk_signature_parse(sshbuf_ptr(sig), sshbuf_len(sig),
	    &flags, &counter)) != 0 ||
	    (r = key_private_serialize(k, b)) != 0 ||
	    (r = key_private_deserialize(b, &k2)) != 0 ||
	    (r = key_public_copy(k2, &pub)) != 0)
		goto out;
	if (flags != 5 || counter != 0x102 || !key_equal(k, k2) ||
	    !key_equal(k, pub) || key_has_private(pub)) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	sshbuf_free(sig);
	sshbuf_free(b);
	key_free(k);
	key_free(k2);
	key_free(pub);
	return r;
}

/* authorized_keys lines: parse, format back, parse again. */
static int
t_authkeys(void *arg)
{
	const char *line = arg;
	struct authkeys_entry e, e2;
	char *out = NULL;
	int r;

	memset(&e2, 0, sizeof(e2));
	if ((r = authkeys_parse_line(line, strlen(line), &e)) != 0)
		return r;
	if (e.type == NULL) {
		r = 0;
		goto out;
	}
	if ((r = authkeys_format_line(e.options, e.blob, e.bloblen, e.comment,
	    &out)) != 0 ||
	    (r = authkeys_parse_line(out, strlen(out), &e2)) != 0)
		goto out;
	if (e2.bloblen != e.bloblen || memcmp(e2.blob, e.blob, e.bloblen) != 0 ||
	    e2.opts != e.opts || !authkeys_entry_matches(&e2, e.blob, e.bloblen) !=
	    (e.marker != NULL || (e.opts & AUTHKEYS_OPT_CERT_AUTHORITY))) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	free(out);
	authkeys_entry_clear(&e);
	authkeys_entry_clear(&e2);
	return r;
}

struct agentdata {
	struct sshbuf *identities;	/* an IDENTITIES_ANSWER with real keys */
	struct sshbuf *keyinfo;		/* an EXTENSION_RESPONSE for key-info */
	const struct key *key;		/* added with agent_add_identity */
	size_t nkeys;
};

/* Queues a framed reply at the far end of a socket pair. */
static int
queue_reply(int fd, const struct sshbuf *msg)
{
	uint8_t hdr[4];

	poke_u32(hdr, (uint32_t)sshbuf_len(msg));
	if (write(fd, hdr, 4) != 4 ||
	    write(fd, sshbuf_ptr(msg), sshbuf_len(msg)) !=
	    (ssize_t)sshbuf_len(msg))
		return SKA_ERR_SYSTEM;
	return 0;
}

/* The client side: replies parsed, requests framed over a socket. */
static int
t_agent_client(void *arg)
{
	static const uint8_t ok_reply[] = { SSH_AGENT_SUCCESS };
	const struct agentdata *a = arg;
	struct agent_keylist *l = NULL, *l2 = NULL;
	struct sshbuf *okb = NULL;
	int sv[2] = { -1, -1 }, r;

	if ((r = agent_parse_identities(sshbuf_ptr(a->identities),
	    sshbuf_len(a->identities), &l)) != 0)
		goto out;
	if (l->n != a->nkeys) {
		r = TORTURE_WRONG;
		goto out;
	}
	agent_keylist_free(l);
	l = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if ((okb = sshbuf_from(ok_reply, sizeof(ok_reply))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* the replies wait in the socket before the requests are sent */
	if ((r = queue_reply(sv[1], a->identities)) != 0 ||
	    (r = queue_reply(sv[1], a->keyinfo)) != 0 ||
	    (r = queue_reply(sv[1], okb)) != 0)
		goto out;
	if ((r = agent_list_identities(sv[0], &l)) != 0 ||
	    (r = agent_key_info(sv[0], &l2)) != 0 ||
	    (r = agent_add_identity(sv[0], a->key, "torture")) != 0)
		goto out;
	if (l->n != a->nkeys || l2->n != a->nkeys ||
	    agent_keylist_find(l2, l->keys[0].blob, l->keys[0].bloblen) == NULL) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	sshbuf_free(okb);
	agent_keylist_free(l);
	agent_keylist_free(l2);
	return r;
}

static void
agentdata_make(struct agentdata *a, struct file **pubs, size_t n,
    const struct key *k)
{
	struct key *pk;
	const uint8_t *blob;
	size_t i, len;
	int r = 0;

	a->identities = sshbuf_new();
	a->keyinfo = sshbuf_new();
	r |= sshbuf_put_u8(a->identities, 12);
	r |= sshbuf_put_u32(a->identities, (uint32_t)n);
	r |= sshbuf_put_u8(a->keyinfo, SSH_AGENT_EXTENSION_RESPONSE);
	r |= sshbuf_put_cstring(a->keyinfo, AGENT_EXT_KEY_INFO);
	r |= sshbuf_put_u32(a->keyinfo, (uint32_t)n);
	for (i = 0; i < n; i++) {
		if (key_from_public_line(pubs[i]->text, &pk, NULL) != 0)
			abort();
		blob = key_blob(pk, &len);
		r |= sshbuf_put_string(a->identities, blob, len);
		r |= sshbuf_put_cstring(a->identities, pubs[i]->name);
		r |= sshbuf_put_string(a->keyinfo, blob, len);
		r |= sshbuf_put_cstring(a->keyinfo, pubs[i]->name);
		r |= sshbuf_put_u8(a->keyinfo, key_sk_flags(pk));
		r |= sshbuf_put_cstring(a->keyinfo,
		    key_is_sk(pk) ? key_sk_application(pk) : "");
		key_free(pk);
	}
	if (r != 0)
		abort();
	a->nkeys = n;
	a->key = k;
}

int
main(void)
{
	static const char *pubs[] = { "ed25519.pub", "ecdsa256.pub",
	    "ecdsa384.pub", "ecdsa521.pub", "rsa2048.pub", "sk_ed25519.pub",
	    "sk_ecdsa.pub", "ed25519-cert.pub", "rsa2048-cert.pub",
	    "ecdsa384-cert.pub", "ecdsa521-cert.pub", "sk_ed25519-cert.pub",
	    "sk_ecdsa-cert.pub" };
	static const char *privs[] = { "ed25519", "ecdsa256", "ecdsa384",
	    "ecdsa521", "rsa2048" };
	static const char *certs[] = { "ed25519", "ecdsa384", "ecdsa521",
	    "rsa2048" };
	/* one file per kind of cipher */
	static const char *encs[] = { "ed25519_enc_aes128_ctr",
	    "ed25519_enc_aes256_cbc", "ed25519_enc_3des_cbc",
	    "ed25519_enc_aes256_gcm", "ed25519_enc_chacha20_poly1305" };
	static int gens[][2] = { { KEY_ED25519, 0 }, { KEY_ECDSA, 256 },
	    { KEY_ECDSA, 521 } };
	struct file *pubf[sizeof(pubs) / sizeof(pubs[0])], *f, *p11f[2];
	struct certpair cp;
	struct agentdata ad;
	struct key *k = NULL;
	char name[64], *lines[8];
	size_t i;

	if (secmem_init(0) != 0 || mkdtemp(tmpdir) == NULL) {
		printf("Bail out! set-up\n");
		return 1;
	}
	torture_run("sshbuf", t_sshbuf, NULL);
	for (i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++) {
		pubf[i] = fixture(pubs[i]);
		snprintf(name, sizeof(name), "public key %s", pubs[i]);
		torture_run(name, t_public, pubf[i]);
	}
	for (i = 0; i < sizeof(privs) / sizeof(privs[0]); i++) {
		f = fixture(privs[i]);
		snprintf(name, sizeof(name), "private key %s", privs[i]);
		torture_run(name, t_private, f);
		if (i == 0 && keyfile_parse_private((const uint8_t *)f->text,
		    f->len, NULL, &k, NULL, NULL) != 0)
			abort();
		fixture_free(f);
	}
	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		cp.priv = fixture(certs[i]);
		snprintf(name, sizeof(name), "%s-cert.pub", certs[i]);
		cp.cert = fixture(name);
		snprintf(name, sizeof(name), "certificate with private key %s",
		    certs[i]);
		torture_run(name, t_cert_private, &cp);
		fixture_free(cp.priv);
		fixture_free(cp.cert);
	}
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		f = fixture(encs[i]);
		snprintf(name, sizeof(name), "encrypted file %s", encs[i]);
		torture_run(name, t_encrypted, f);
		fixture_free(f);
	}
	torture_run("save and load a key pair", t_save, k);
	for (i = 0; i < sizeof(gens) / sizeof(gens[0]); i++) {
		snprintf(name, sizeof(name), "generate type %d, %d bits",
		    gens[i][0], gens[i][1]);
		torture_run(name, t_generate, gens[i]);
	}
	torture_run("security-key keys and signatures", t_sk, NULL);
	p11f[0] = pubf[4];	/* rsa2048 */
	p11f[1] = pubf[2];	/* ecdsa384 */
	torture_run("PKCS#11 helper messages and keys", t_p11, p11f);

	lines[0] = pubf[0]->text;
	if (asprintf(&lines[1], "no-pty,command=\"echo \\\"hi\\\"\",from=\"127.0.0.1\" %s",
	    pubf[4]->text) < 0 ||
	    asprintf(&lines[2], "@cert-authority cert-authority %s",
	    pubf[1]->text) < 0 ||
	    asprintf(&lines[3], "no-touch-required,verify-required %s",
	    pubf[5]->text) < 0 ||
	    asprintf(&lines[4], "  # a comment") < 0)
		abort();
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "authorized_keys line %zu", i + 1);
		torture_run(name, t_authkeys, lines[i]);
		if (i > 0)
			free(lines[i]);
	}
	agentdata_make(&ad, pubf, sizeof(pubf) / sizeof(pubf[0]), k);
	torture_run("agent client", t_agent_client, &ad);
	sshbuf_free(ad.identities);
	sshbuf_free(ad.keyinfo);

	for (i = 0; i < sizeof(pubs) / sizeof(pubs[0]); i++)
		fixture_free(pubf[i]);
	key_free(k);
	rmdir(tmpdir);
	return tap_done();
}
