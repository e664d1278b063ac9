/*
 * skagent-pkcs11-helper: one PKCS#11 module (a smartcard's, a YubiKey's PIV
 * applet through ykcs11 or OpenSC, an HSM's) for skagent, in a process of
 * its own, so that the module (someone else's code, that talks to hardware
 * and may hang, crash or leak) never runs in the agent.  skagent starts one
 * per module on ssh-add -s and closes its socket on ssh-add -e, remove-all
 * and exit.  The messages are in lib/p11helper-msg.h.
 *
 * Before the module is loaded: the file is opened without following a
 * symbolic link, it must be a regular file, and an ELF shared object for
 * this machine that exports C_GetFunctionList (read as data, lib/elfsym.h):
 * a library's constructors run inside dlopen(), so a file that is not a
 * module must never get that far (CVE-2023-38408).  The file dlopen()
 * maps is the one checked, through /proc/self/fd.
 *
 * The PIN (locked memory) logs in to each token the module offers, once:
 * a wrong PIN is never tried again, here or by the agent.  It is wiped as
 * soon as the logins are done.  A key that needs the PIN for every
 * signature (CKA_ALWAYS_AUTHENTICATE, PIV's slot 9c) is listed as such:
 * its sign requests carry the PIN the agent asked the user for, and the
 * signature is C_SignInit, C_Login(CKU_CONTEXT_SPECIFIC), C_Sign (on a
 * token with a PIN pad, the login without a PIN, no request carries one).
 * A login refused is told, never tried again; the PIN is wiped after.
 *
 * Exit status: 0 at EOF on the socket; 1 when the socket broke; 2 when not
 * run by skagent.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "elfsym.h"
#include "p11helper-msg.h"
#include "secmem.h"
#include "sshbuf.h"

#define MAX_SLOTS	64
#define MAX_OBJECTS	(P11_MAX_KEYS * 2)

struct hkey {
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE priv;
	CK_KEY_TYPE type;
	int pinpad;			/* always_auth on a PIN pad (below) */
	struct p11_key out;		/* blob and label for the agent */
};

static struct {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	int initialized;
	CK_SESSION_HANDLE sessions[MAX_SLOTS];
	size_t nsessions;
	struct hkey keys[P11_MAX_KEYS];
	size_t nkeys;
	char *module;
} h;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("skagent-pkcs11-helper: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Exactly len bytes; 0, or -1 at EOF or on error (errno 0 at EOF). */
static int
read_exact(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The next request's body; NULL at EOF (*eofp set) or when the stream is
 * broken.  Read to the exact length: nothing of a frame lingers in a
 * buffer after it is parsed.
 */
static struct sshbuf *
read_frame(int fd, int *eofp)
{
	struct sshbuf *b = NULL;
	uint8_t hdr[4], *p;
	uint32_t len;

	*eofp = 0;
	if (read_exact(fd, hdr, sizeof(hdr)) != 0) {
		*eofp = errno == 0;
		if (errno != 0)
			logmsg("read: %s", strerror(errno));
		return NULL;
	}
	len = peek_u32(hdr);
	if (len == 0 || len > P11_MSG_MAX) {
		logmsg("request of %u bytes refused", len);
		return NULL;
	}
	if ((b = sshbuf_new()) == NULL || sshbuf_reserve(b, len, &p) != 0 ||
	    read_exact(fd, p, len) != 0) {
		logmsg("short request");
		sshbuf_free(b);
		return NULL;
	}
	return b;
}

/* Attributes */

/* The value of one attribute, malloc'd, at most max bytes; NULL if none. */
static uint8_t *
get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    size_t max, size_t *lenp)
{
	CK_ATTRIBUTE a;
	uint8_t *p;

	*lenp = 0;
	memset(&a, 0, sizeof(a));
	a.type = type;
	if (h.f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0 ||
	    a.ulValueLen > max)
		return NULL;
	if ((p = calloc(1, a.ulValueLen)) == NULL)
		return NULL;
	a.pValue = p;
	if (h.f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
	    a.ulValueLen == 0 || a.ulValueLen > max) {
		free(p);
		return NULL;
	}
	*lenp = a.ulValueLen;
	return p;
}

static int
get_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a;

	a.type = type;
	a.pValue = &v;
	a.ulValueLen = sizeof(v);
	return h.f->C_GetAttributeValue(s, o, &a, 1) == CKR_OK && v == CK_TRUE;
}

/* Up to max objects matching tmpl; the count. */
static size_t
find(CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE *objs, size_t max)
{
	CK_ULONG got = 0;

	if (h.f->C_FindObjectsInit(s, tmpl, n) != CKR_OK)
		return 0;
	if (h.f->C_FindObjects(s, objs, max, &got) != CKR_OK || got > max)
		got = 0;
	(void)h.f->C_FindObjectsFinal(s);
	return got;
}

/* The public key object with this CKA_ID; CK_INVALID_HANDLE if none. */
static CK_OBJECT_HANDLE
public_by_id(CK_SESSION_HANDLE s, const uint8_t *id, size_t idlen)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_OBJECT_HANDLE o;
	CK_ATTRIBUTE t[2];

	if (id == NULL || idlen == 0)
		return CK_INVALID_HANDLE;
	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_ID;
	t[1].pValue = (void *)(uintptr_t)id;
	t[1].ulValueLen = idlen;
	return find(s, t, 2, &o, 1) == 1 ? o : CK_INVALID_HANDLE;
}

/* The ssh blob of a private key's public half, from it or its public object. */
static int
key_blob_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, CK_KEY_TYPE type,
    const uint8_t *id, size_t idlen, struct sshbuf *out)
{
	CK_OBJECT_HANDLE objs[2] = { priv, public_by_id(s, id, idlen) };
	uint8_t *a = NULL, *b = NULL;
	size_t alen, blen, i;
	int r = SKA_ERR_KEY_NOT_FOUND;

	for (i = 0; i < 2 && r != 0; i++) {
		if (objs[i] == CK_INVALID_HANDLE)
			continue;
		if (type == CKK_RSA) {
			a = get_attr(s, objs[i], CKA_MODULUS, 2048, &alen);
			b = get_attr(s, objs[i], CKA_PUBLIC_EXPONENT, 64, &blen);
			if (a != NULL && b != NULL)
				r = p11_blob_rsa(a, alen, b, blen, out);
		} else {
			a = get_attr(s, objs[i], CKA_EC_PARAMS, 64, &alen);
			b = get_attr(s, objs[i], CKA_EC_POINT, 256, &blen);
			if (a != NULL && b != NULL)
				r = p11_blob_ec(a, alen, b, blen, out);
		}
		free(a);
		free(b);
		a = b = NULL;
	}
	return r;
}

/* CKA_LABEL as printable text, at most P11_LABEL_MAX bytes. */
static char *
label_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	uint8_t *p;
	size_t len, i;
	char *l;

	p = get_attr(s, o, CKA_LABEL, 4096, &len);
	if (len > P11_LABEL_MAX)
		len = P11_LABEL_MAX;
	if ((l = calloc(1, len + 1)) == NULL) {
		free(p);
		return NULL;
	}
	for (i = 0; i < len; i++)
		l[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	while (len > 0 && l[len - 1] == ' ')
		l[--len] = '\0';
	free(p);
	return l;
}

/* A token's label (32 bytes, blank-padded) as a string. */
static const char *
token_label(const CK_TOKEN_INFO *ti)
{
	static char l[sizeof(ti->label) + 1];
	size_t n = sizeof(ti->label), i;

	for (i = 0; i < n; i++)
		l[i] = ti->label[i] >= 0x20 && ti->label[i] < 0x7f ?
		    (char)ti->label[i] : '?';
	while (n > 0 && l[n - 1] == ' ')
		n--;
	l[n] = '\0';
	return l;
}

/*
 * Every private signing key of the session's token that we can use.
 * pinpad: the token reads its PIN itself (CKF_PROTECTED_AUTHENTICATION_PATH).
 */
static void
list_keys(CK_SESSION_HANDLE s, int pinpad)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[2];
	CK_OBJECT_HANDLE objs[MAX_OBJECTS];
	CK_KEY_TYPE type;
	CK_ATTRIBUTE ta;
	struct sshbuf *blob = NULL;
	struct hkey *k;
	uint8_t *id;
	size_t n, i, j, idlen;
	char *label;
	int r;

	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_SIGN;
	t[1].pValue = &yes;
	t[1].ulValueLen = sizeof(yes);
	n = find(s, t, 2, objs, MAX_OBJECTS);
	for (i = 0; i < n && h.nkeys < P11_MAX_KEYS; i++) {
		type = CKK_VENDOR_DEFINED;
		ta.type = CKA_KEY_TYPE;
		ta.pValue = &type;
		ta.ulValueLen = sizeof(type);
		if (h.f->C_GetAttributeValue(s, objs[i], &ta, 1) != CKR_OK ||
		    (type != CKK_RSA && type != CKK_EC && type != CKK_EC_EDWARDS))
			continue;
		label = label_of(s, objs[i]);
		id = get_attr(s, objs[i], CKA_ID, 1024, &idlen);
		if ((blob = sshbuf_new()) == NULL ||
		    (r = key_blob_of(s, objs[i], type, id, idlen, blob)) != 0) {
			logmsg("key \"%s\": no usable public key (%s)",
			    label != NULL ? label : "",
			    blob == NULL ? "out of memory" : ska_err(r));
			goto next;
		}
		for (j = 0; j < h.nkeys; j++)
			if (h.keys[j].out.bloblen == sshbuf_len(blob) &&
			    memcmp(h.keys[j].out.blob, sshbuf_ptr(blob),
			    sshbuf_len(blob)) == 0)
				break;
		if (j < h.nkeys)
			goto next;	/* the same key in another slot */
		k = &h.keys[h.nkeys];
		if ((k->out.blob = malloc(sshbuf_len(blob))) == NULL)
			goto next;
		memcpy(k->out.blob, sshbuf_ptr(blob), sshbuf_len(blob));
		k->out.bloblen = sshbuf_len(blob);
		k->out.label = label;
		label = NULL;
		k->session = s;
		k->priv = objs[i];
		k->type = type;
		if (get_bool(s, objs[i], CKA_ALWAYS_AUTHENTICATE)) {
			k->pinpad = pinpad;
			k->out.always_auth = !pinpad;
		}
		h.nkeys++;
 next:
		free(id);
		free(label);
		sshbuf_free(blob);
		blob = NULL;
	}
}

/* Loading */

/* Opens the module as checked (see the top of the file); the status. */
static uint32_t
load_module(const char *path)
{
	struct elf_ident id, native;
	CK_C_GetFunctionList getfl;
	CK_C_INITIALIZE_ARGS args;
	char procpath[64];
	CK_RV rv;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		logmsg("%s: %s", path, strerror(errno));
		return P11_ERR_MODULE;
	}
	elf_native_ident(&native);
	if ((r = elf_fd_exports_function(fd, "C_GetFunctionList", &id)) != 1) {
		logmsg("%s is not a PKCS#11 module: %s", path,
		    r == 0 ? "it does not export C_GetFunctionList" :
		    r == SKA_ERR_INVALID_FORMAT ?
		    "not a regular file holding an ELF shared object" :
		    ska_err(r));
		close(fd);
		return P11_ERR_MODULE;
	}
	if (id.is64 != native.is64 || id.big_endian != native.big_endian ||
	    (native.machine != 0 && id.machine != native.machine)) {
		logmsg("%s is a PKCS#11 module for another machine (ELF machine "
		    "%u)", path, id.machine);
		close(fd);
		return P11_ERR_MODULE;
	}
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
	h.dl = dlopen(procpath, RTLD_NOW | RTLD_LOCAL);
	close(fd);	/* dlopen has mapped it */
	if (h.dl == NULL) {
		logmsg("%s: %s", path, dlerror());
		return P11_ERR_MODULE;
	}
	if ((getfl = (CK_C_GetFunctionList)dlsym(h.dl,
	    "C_GetFunctionList")) == NULL) {
		logmsg("%s: no C_GetFunctionList: %s", path, dlerror());
		return P11_ERR_MODULE;
	}
	if ((rv = getfl(&h.f)) != CKR_OK || h.f == NULL) {
		logmsg("%s: C_GetFunctionList failed: 0x%lx", path,
		    (unsigned long)rv);
		h.f = NULL;
		return P11_ERR_MODULE;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = h.f->C_Initialize(&args)) != CKR_OK &&
	    rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		logmsg("%s: C_Initialize failed: 0x%lx", path,
		    (unsigned long)rv);
		return P11_ERR_MODULE;
	}
	h.initialized = 1;
	return P11_OK;
}

static uint32_t
login_status(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
	case CKR_USER_ALREADY_LOGGED_IN:
		return P11_OK;
	case CKR_PIN_INCORRECT:
		return P11_ERR_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
		return P11_ERR_PIN_LOCKED;
	case CKR_PIN_LEN_RANGE:
		return P11_ERR_PIN_LEN;
	default:
		return P11_ERR_GENERAL;
	}
}

/*
 * Opens a session on each token, logs in once with pin, lists the keys.
 * The status: P11_OK when some key was found, else the first login
 * failure, else why there are none.
 */
static uint32_t
open_tokens(const char *pin)
{
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG nslots = MAX_SLOTS, i;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	uint32_t st, fail = P11_OK;
	int need_pin = 0;
	CK_RV rv;

	if ((rv = h.f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK) {
		logmsg("C_GetSlotList failed: 0x%lx%s", (unsigned long)rv,
		    rv == CKR_BUFFER_TOO_SMALL ? " (more than 64 tokens)" : "");
		return P11_ERR_GENERAL;
	}
	for (i = 0; i < nslots && i < MAX_SLOTS; i++) {
		if (h.f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if ((rv = h.f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL,
		    NULL, &s)) != CKR_OK) {
			logmsg("token \"%s\": C_OpenSession failed: 0x%lx",
			    token_label(&ti), (unsigned long)rv);
			continue;
		}
		h.sessions[h.nsessions++] = s;
		if (ti.flags & CKF_LOGIN_REQUIRED) {
			if (pin != NULL)
				rv = h.f->C_Login(s, CKU_USER,
				    (CK_UTF8CHAR_PTR)(uintptr_t)pin, strlen(pin));
			else if (ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH)
				rv = h.f->C_Login(s, CKU_USER, NULL, 0);
			else {
				need_pin = 1;
				rv = CKR_OK;	/* what is visible without */
			}
			if ((st = login_status(rv)) != P11_OK) {
				logmsg("token \"%s\": login failed: %s",
				    token_label(&ti), st == P11_ERR_GENERAL ?
				    "the module failed" : p11_status_str(st));
				if (fail == P11_OK)
					fail = st;
				continue;
			}
		}
		list_keys(s, (ti.flags &
		    CKF_PROTECTED_AUTHENTICATION_PATH) != 0);
	}
	if (h.nkeys > 0)
		return P11_OK;
	if (fail != P11_OK)
		return fail;
	return need_pin ? P11_ERR_LOGIN_REQUIRED : P11_ERR_NO_KEYS;
}

static int
do_load(struct p11_msg *m, struct sshbuf *out)
{
	struct p11_key keys[P11_MAX_KEYS];
	uint32_t st;
	size_t i;

	if (h.module != NULL) {
		logmsg("a second load refused");
		return p11_put_load_reply(m->seq, P11_ERR_REQUEST, NULL, 0, out);
	}
	if ((h.module = strdup(m->module)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((st = load_module(m->module)) == P11_OK)
		st = open_tokens(m->pin);
	/* the logins are done: the PIN goes */
	secmem_free_str(m->pin);
	m->pin = NULL;
	if (st != P11_OK)
		return p11_put_load_reply(m->seq, st, NULL, 0, out);
	for (i = 0; i < h.nkeys; i++)
		keys[i] = h.keys[i].out;
	return p11_put_load_reply(m->seq, P11_OK, keys, h.nkeys, out);
}

/* Signing */

static uint32_t
sign_status(CK_RV rv)
{
	switch (rv) {
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
		return P11_ERR_LOGGED_OUT;
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		return P11_ERR_KEY;
	case CKR_MECHANISM_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return P11_ERR_MECHANISM;
	default:
		return P11_ERR_GENERAL;
	}
}

/*
 * The context-specific login of an always_auth key, its signature
 * initialized: P11_OK, or the login's failure with the operation ended
 * (C_Sign ends it whatever it returns), never tried again.
 */
static uint32_t
context_login(const struct hkey *k, const char *pin)
{
	uint8_t dummy[P11_SIG_MAX];
	CK_ULONG dlen = sizeof(dummy);
	uint32_t st;
	CK_RV rv;

	if (!k->out.always_auth && !k->pinpad)
		return P11_OK;
	memset(dummy, 0, sizeof(dummy));
	rv = h.f->C_Login(k->session, CKU_CONTEXT_SPECIFIC,
	    k->pinpad ? NULL : (CK_UTF8CHAR_PTR)(uintptr_t)pin,
	    k->pinpad ? 0 : strlen(pin));
	if ((st = login_status(rv)) == P11_OK)
		return P11_OK;
	logmsg("key \"%s\": context-specific login failed: 0x%lx (%s)",
	    k->out.label, (unsigned long)rv, st == P11_ERR_GENERAL ?
	    "the module failed" : p11_status_str(st));
	(void)h.f->C_Sign(k->session, (CK_BYTE_PTR)dummy, 1, dummy, &dlen);
	sodium_memzero(dummy, sizeof(dummy));
	return st;
}

static int
do_sign(const struct p11_msg *m, struct sshbuf *out)
{
	static const CK_KEY_TYPE need[] = { 0, CKK_RSA, CKK_EC, CKK_EC_EDWARDS };
	static const CK_MECHANISM_TYPE mechs[] = { 0, CKM_RSA_PKCS, CKM_ECDSA,
	    CKM_EDDSA };
	CK_MECHANISM mech;
	struct hkey *k;
	uint8_t sig[P11_SIG_MAX];
	CK_ULONG siglen = sizeof(sig);
	uint32_t st;
	CK_RV rv;
	int r;

	if (h.f == NULL || m->key >= h.nkeys) {
		logmsg("sign: no key %u", m->key);
		return p11_put_sign_reply(m->seq, h.f == NULL ? P11_ERR_REQUEST :
		    P11_ERR_KEY, NULL, 0, out);
	}
	k = &h.keys[m->key];
	if (k->type != need[m->mech])
		return p11_put_sign_reply(m->seq, P11_ERR_MECHANISM, NULL, 0, out);
	if (k->out.always_auth && m->pin == NULL) {
		logmsg("key \"%s\": no PIN for its signature", k->out.label);
		return p11_put_sign_reply(m->seq, P11_ERR_LOGIN_REQUIRED, NULL,
		    0, out);
	}
	memset(&mech, 0, sizeof(mech));
	mech.mechanism = mechs[m->mech];
	if ((rv = h.f->C_SignInit(k->session, &mech, k->priv)) != CKR_OK) {
		st = sign_status(rv);
		logmsg("key \"%s\": C_SignInit failed: 0x%lx (%s)",
		    k->out.label, (unsigned long)rv, p11_status_str(st));
		return p11_put_sign_reply(m->seq, st, NULL, 0, out);
	}
	if ((st = context_login(k, m->pin)) != P11_OK)
		return p11_put_sign_reply(m->seq, st, NULL, 0, out);
	rv = h.f->C_Sign(k->session, m->tbs, m->tbslen, sig, &siglen);
	if (rv != CKR_OK || siglen == 0 || siglen > sizeof(sig)) {
		st = rv == CKR_OK ? P11_ERR_GENERAL : sign_status(rv);
		logmsg("key \"%s\": C_Sign failed: 0x%lx (%s)", k->out.label,
		    (unsigned long)rv, p11_status_str(st));
		return p11_put_sign_reply(m->seq, st, NULL, 0, out);
	}
	r = p11_put_sign_reply(m->seq, P11_OK, sig, siglen, out);
	sodium_memzero(sig, sizeof(sig));
	return r;
}

static void
cleanup(void)
{
	size_t i;

	if (h.f != NULL) {
		for (i = 0; i < h.nsessions; i++)
			(void)h.f->C_CloseSession(h.sessions[i]);
		if (h.initialized)
			(void)h.f->C_Finalize(NULL);
	}
	for (i = 0; i < h.nkeys; i++) {
		free(h.keys[i].out.blob);
		free(h.keys[i].out.label);
	}
	free(h.module);
	/* the module stays mapped: the process ends here */
}

int
main(int argc, char **argv)
{
	struct sshbuf *body = NULL, *out = NULL;
	struct p11_msg *m = NULL;
	struct rlimit rl = { 0, 0 };
	sigset_t none;
	int infd, outfd, nullfd, eof, r, ret = 1;

	if (argc > 1 || isatty(STDIN_FILENO)) {
		fprintf(stderr, "usage: %s <socket >socket\n"
		    "skagent runs this to use PKCS#11 modules (ssh-add -s); "
		    "see lib/p11helper-msg.h.\n", argv[0]);
		return 2;
	}
	/* killable whatever the parent blocked or ignored */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);	/* a write to a gone agent fails */
	/* a PIN passes through here: no core, no ptrace by others */
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* our own fds for the socket; what a module prints goes to stderr */
	if ((infd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (outfd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) == -1 ||
	    (nullfd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(nullfd, STDIN_FILENO) == -1) {
		logmsg("cannot set up its descriptors: %s", strerror(errno));
		return 1;
	}
	if (nullfd != STDIN_FILENO)
		close(nullfd);
	if (secmem_init(0) != 0 || sodium_init() < 0) {
		logmsg("cannot set up locked memory");
		return 1;
	}
	if ((out = sshbuf_new()) == NULL) {
		logmsg("out of memory");
		return 1;
	}
	for (;;) {
		if ((body = read_frame(infd, &eof)) == NULL) {
			ret = eof ? 0 : 1;
			break;
		}
		r = p11_get_req(body, &m);
		sshbuf_free(body);	/* wipes the PIN's copy */
		body = NULL;
		if (r != 0) {
			logmsg("bad request: %s", ska_err(r));
			break;
		}
		r = m->type == P11_LOAD ? do_load(m, out) : do_sign(m, out);
		p11_msg_free(m);
		m = NULL;
		if (r != 0) {
			logmsg("cannot compose the reply: %s", ska_err(r));
			break;
		}
		if (write_all(outfd, sshbuf_ptr(out), sshbuf_len(out)) != 0) {
			logmsg("cannot write the reply: %s", strerror(errno));
			break;
		}
		sshbuf_reset(out);
	}
	p11_msg_free(m);
	sshbuf_free(out);
	cleanup();
	return ret;
}
