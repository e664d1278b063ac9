/*
 * softtoken: a software CTAP2.0/2.1 authenticator for tests.  It shares no
 * code with lib/ on purpose.  Layers, bottom up:
 *   cb.c       CBOR reading (type-checked) and canonical building
 *   crypto.c   ES256/Ed25519 credential keys, P-256 ECDH, AES-CBC, HKDF
 *   cred.c     stateless key handles (AEAD-wrapped seeds), COSE keys
 *   state.c    the persistent part (state file) and its atomic rewrite
 *   pin.c      clientPIN protocols 1 and 2, retries, pinUvAuthToken
 *   credman.c  credential management (0x0A and preview 0x41)
 *   ctap2.c    CTAP2 dispatch: getInfo, makeCredential, getAssertion, reset
 *   ctaphid.c  CTAPHID framing, channels, busy, keepalive, touch timers
 *   main.c     command line, SEQPACKET socket, poll loop, signals
 * ctap2_handle() and hid_input() take byte buffers, so a fuzzer can drive
 * them without a socket.
 */
#ifndef SOFTTOKEN_H
#define SOFTTOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#define ST_WUR		__attribute__((warn_unused_result))

#define ST_MAXMSG	7609	/* 57 + 128 * 59 */
#define ST_MAX_RK	50
#define ST_MAX_RPID	255
#define ST_MAX_USERID	64
#define ST_MAX_NAME	64
#define ST_MAX_LIST	8	/* maxCredentialCountInList */
#define ST_PIN_RETRIES	8
#define ST_MIN_PIN	4	/* minPINLength unless set (code points) */
#define ST_MAX_PIN	63	/* bytes */
#define ST_FIRMWARE	0x010203	/* firmwareVersion in getInfo */
#define ST_NONCE_LEN	24
#define ST_SEED_LEN	32
/* ver | nonce | AEAD(alg | credProtect | seed) | tag */
#define ST_CREDID_LEN	(1 + ST_NONCE_LEN + 2 + ST_SEED_LEN + 16)

#define COSE_ES256	(-7)
#define COSE_EDDSA	(-8)

/* CTAP2 status codes */
#define CTAP_OK				0x00
#define CTAP1_INVALID_COMMAND		0x01
#define CTAP1_INVALID_PARAMETER		0x02
#define CTAP1_INVALID_LENGTH		0x03
#define CTAP1_OTHER			0x7f
#define CTAP2_CBOR_UNEXPECTED_TYPE	0x11
#define CTAP2_INVALID_CBOR		0x12
#define CTAP2_MISSING_PARAMETER		0x14
#define CTAP2_CREDENTIAL_EXCLUDED	0x19
#define CTAP2_UNSUPPORTED_ALGORITHM	0x26
#define CTAP2_OPERATION_DENIED		0x27
#define CTAP2_KEY_STORE_FULL		0x28
#define CTAP2_UNSUPPORTED_OPTION	0x2b
#define CTAP2_INVALID_OPTION		0x2c
#define CTAP2_KEEPALIVE_CANCEL		0x2d
#define CTAP2_NO_CREDENTIALS		0x2e
#define CTAP2_NOT_ALLOWED		0x30
#define CTAP2_PIN_INVALID		0x31
#define CTAP2_PIN_BLOCKED		0x32
#define CTAP2_PIN_AUTH_INVALID		0x33
#define CTAP2_PIN_AUTH_BLOCKED		0x34
#define CTAP2_PIN_NOT_SET		0x35
#define CTAP2_PIN_REQUIRED		0x36
#define CTAP2_PIN_POLICY_VIOLATION	0x37
#define CTAP2_INVALID_SUBCOMMAND	0x3e
#define CTAP2_UNAUTHORIZED_PERMISSION	0x40

/* pinUvAuthToken permissions */
#define PERM_MC		0x01
#define PERM_GA		0x02
#define PERM_CM		0x04

/* ---- log.c-less logging: main.c owns the flag */
extern int st_quiet;
void st_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- cb.c */
/*
 * Checks that buf holds exactly one well-formed CBOR item with definite
 * lengths only, no tags or floats, nesting at most maxdepth, and every
 * declared count plausible for the bytes left.  Run before cbor_load() so
 * a hostile length never reaches an allocator.
 */
int cb_wellformed(const uint8_t *buf, size_t len, int maxdepth) ST_WUR;
/* Loads buf (after cb_wellformed); NULL on any error.  Caller decrefs. */
cbor_item_t *cb_load(const uint8_t *buf, size_t len);
int cb_bytes(const cbor_item_t *, const uint8_t **p, size_t *len) ST_WUR;
int cb_text(const cbor_item_t *, const char **p, size_t *len) ST_WUR;
int cb_uint(const cbor_item_t *, uint64_t *) ST_WUR;
int cb_int(const cbor_item_t *, int64_t *) ST_WUR;
int cb_bool(const cbor_item_t *, int *) ST_WUR;
/* Value of text key k in a definite map, or NULL. */
const cbor_item_t *cb_map_str(const cbor_item_t *map, const char *k);
/*
 * Spreads a request map keyed by small uints into v[1..n-1] (borrowed).
 * Unknown keys are ignored; duplicates or non-uint keys are an error.
 */
int cb_req_map(const cbor_item_t *map, const cbor_item_t **v, size_t n) ST_WUR;
/* Builders: NULL on allocation failure; minimal integer width. */
cbor_item_t *cb_new_uint(uint64_t);
cbor_item_t *cb_new_int(int64_t);
/* Adds k -> v to map, consuming both references (NULLs tolerated). */
int cb_put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v) ST_WUR;
int cb_push(cbor_item_t *array, cbor_item_t *v) ST_WUR;
/* Serialises item behind status byte 0 into out (cap ST_MAXMSG). */
int cb_reply(cbor_item_t *item, uint8_t *out, size_t *outlen) ST_WUR;

/* ---- crypto.c */
void sha256(const void *p, size_t n, uint8_t out[32]);
void hmac_sha256(const uint8_t *key, size_t klen, const void *m, size_t n,
    uint8_t out[32]);
/* ES256: seed is the private scalar; it must be in [1, n-1]. */
int p256_keygen(uint8_t d[32]) ST_WUR;
int p256_pub(const uint8_t d[32], uint8_t xy[64]) ST_WUR;
/* DER ECDSA over SHA-256(msg); sig holds 72 bytes. */
int p256_sign(const uint8_t d[32], const void *msg, size_t n,
    uint8_t *sig, size_t *siglen) ST_WUR;
/*
 * Full (basic) attestation: a P-256 key and its certificate from PEM
 * files.  NULL with a reason in err on failure.
 */
struct st_att;
struct st_att *att_load(const char *keyfile, const char *certfile,
    char *err, size_t errlen);
void att_free(struct st_att *);
/* The certificate, DER. */
const uint8_t *att_cert(const struct st_att *, size_t *len);
/* ES256 (DER) over msg with the attestation key; sig holds 72 bytes. */
int att_sign(const struct st_att *, const void *msg, size_t n,
    uint8_t *sig, size_t *siglen) ST_WUR;
struct st_ecdh;
struct st_ecdh *ecdh_new(void);
void ecdh_free(struct st_ecdh *);
void ecdh_pub(const struct st_ecdh *, uint8_t xy[64]);
/* Z = x coordinate of our key times the peer point (checked on curve). */
int ecdh_derive(const struct st_ecdh *, const uint8_t peer[64],
    uint8_t z[32]) ST_WUR;
/* AES-256-CBC without padding; len a multiple of 16. */
int aes256_cbc(int enc, const uint8_t key[32], const uint8_t iv[16],
    const uint8_t *in, size_t len, uint8_t *out) ST_WUR;
void hkdf_sha256_32(const uint8_t *ikm, size_t n, const char *info,
    uint8_t out[32]);

/* ---- state.c: what survives a restart */
struct st_rk {
	uint8_t rpid_hash[32];
	char rpid[ST_MAX_RPID + 1];
	uint8_t user_id[ST_MAX_USERID];
	size_t user_id_len;
	char user_name[ST_MAX_NAME + 1];
	char user_display[ST_MAX_NAME + 1];
	uint8_t cred_id[ST_CREDID_LEN];
};

/* Secrets live in sodium_malloc'd memory. */
struct st_secret {
	uint8_t master[32];
	uint8_t pin_hash[16];		/* LEFT(SHA-256(PIN), 16) */
	uint8_t pin_token[32];
};

struct st_state {
	char *path;			/* NULL: in memory only */
	struct st_secret *sec;
	uint8_t aaguid[16];
	uint32_t counter;
	int pin_set;
	int pin_retries;
	int min_pin_len;		/* minPINLength, ST_MIN_PIN..ST_MAX_PIN */
	int force_pin_change;		/* forcePINChange: until changePIN */
	size_t nrk;
	struct st_rk rk[ST_MAX_RK];	/* oldest first */
};

/* Loads path, or creates a fresh state (and file) if it does not exist. */
int state_open(struct st_state *, const char *path, char *err, size_t errlen) ST_WUR;
/* New master key and AAGUID kept; PIN, resident keys wiped. */
void state_wipe(struct st_state *, int new_master);
/* Atomic rewrite (temp file, fsync, rename); no-op without a path. */
int state_save(const struct st_state *) ST_WUR;
void state_close(struct st_state *);

/* ---- cred.c */
struct st_key {
	int alg;
	int prot;			/* credProtect 1..3 */
	uint8_t seed[ST_SEED_LEN];
};
/* Makes a new key and its handle bound to rpid_hash. */
int cred_new(const uint8_t master[32], const uint8_t rpid_hash[32], int alg,
    int prot, struct st_key *key, uint8_t id[ST_CREDID_LEN]) ST_WUR;
/* 0 if id is ours for rpid_hash; key filled (caller wipes). */
int cred_open(const uint8_t master[32], const uint8_t rpid_hash[32],
    const uint8_t *id, size_t idlen, struct st_key *key) ST_WUR;
cbor_item_t *cred_cose(const struct st_key *);
int cred_sign(const struct st_key *, const uint8_t *msg, size_t n,
    uint8_t *sig, size_t *siglen) ST_WUR;

/* ---- the token: persistent state plus power-up state */
enum pending_kind { P_NONE, P_MC, P_EXCLUDED, P_PROBE, P_GA, P_RESET };
enum touch_result { TOUCH_OK, TOUCH_DENIED, TOUCH_CANCEL };

struct mc_req {
	uint8_t cdh[32];
	uint8_t rpid_hash[32];
	char rpid[ST_MAX_RPID + 1];
	uint8_t user_id[ST_MAX_USERID];
	size_t user_id_len;
	char user_name[ST_MAX_NAME + 1];
	char user_display[ST_MAX_NAME + 1];
	int alg, rk, uv, prot;
};

struct ga_ctx {
	uint8_t rpid_hash[32];
	uint8_t cdh[32];
	int up, uv, with_user;
	size_t n, next;
	uint8_t ids[ST_MAX_RK][ST_CREDID_LEN];
	int rk_user[ST_MAX_RK];		/* index into state rk[], or -1 */
	uint32_t chan;
	uint64_t deadline_ms;
};

struct cm_ctx {
	int kind;			/* 0 none, 3 RPs, 5 creds */
	uint32_t chan;
	size_t n, next;
	int idx[ST_MAX_RK];
};

struct token {
	struct st_state st;
	int no_eddsa;
	size_t rk_slots;		/* resident-key capacity, <= ST_MAX_RK */
	int rk_needs_pin;		/* no resident key until a PIN is set */
	struct st_att *att;		/* NULL: self attestation */
	/* power-up state */
	int pin_consec_fail;
	struct st_ecdh *ka;
	int tok_perms;
	int tok_has_rpid;
	char tok_rpid[ST_MAX_RPID + 1];
	/* the request waiting for a touch */
	enum pending_kind pending;
	uint32_t pending_chan;
	struct mc_req mc;
	struct ga_ctx ga;		/* also getNextAssertion state */
	struct cm_ctx cm;
};

/* ---- ctap2.c */
#define ST_REPLY	0
#define ST_PENDING	1
int token_init(struct token *, const char *state_path, const char *pin,
    int no_eddsa, char *err, size_t errlen) ST_WUR;
void token_free(struct token *);
/*
 * Handles one CTAPHID_CBOR message from channel chan.  Returns ST_REPLY
 * with out/outlen set (status byte + CBOR, outlen <= ST_MAXMSG), or
 * ST_PENDING when the request waits for a touch: finish it later with
 * ctap2_complete(), or drop it with ctap2_abort().
 */
int ctap2_handle(struct token *, uint32_t chan, const uint8_t *req,
    size_t len, uint8_t *out, size_t *outlen);
void ctap2_complete(struct token *, enum touch_result, uint8_t *out,
    size_t *outlen);
void ctap2_abort(struct token *);
/* Copies n bytes of s, cut to max bytes on a UTF-8 boundary. */
void copy_trunc(char *dst, size_t max, const char *s, size_t n);
/* {id[, name, displayName]} of a resident credential. */
cbor_item_t *user_map(const struct st_rk *, int full);
uint64_t st_now_ms(void);
const char *ctap_status_name(int);

/* ---- pin.c */
int pin_handle(struct token *, const cbor_item_t *req, uint8_t *out,
    size_t *outlen);
/* Sets the PIN at start-up (--pin); 0 or CTAP status. */
int pin_set_initial(struct token *, const char *pin) ST_WUR;
void pin_powerup(struct token *);
void pin_reset_token(struct token *);
/*
 * Checks pinUvAuthParam over msg with the current pinUvAuthToken and that
 * the token has perm.  0 or a CTAP status.
 */
int pin_check_token(struct token *, const cbor_item_t *proto,
    const cbor_item_t *param, const void *msg, size_t n, int perm) ST_WUR;

/* ---- credman.c */
int credman_handle(struct token *, uint32_t chan, const cbor_item_t *req,
    uint8_t *out, size_t *outlen);

/* ---- ctaphid.c */
struct hid;
enum touch_mode { TOUCH_AUTO, TOUCH_DENY, TOUCH_DELAY };
typedef void hid_send_fn(void *ctx, int conn, const uint8_t frame[64]);
struct hid *hid_new(struct token *, hid_send_fn *, void *ctx,
    enum touch_mode, int delay_ms);
void hid_free(struct hid *);
/* One datagram (should be a 64-byte report) from connection conn. */
void hid_input(struct hid *, int conn, const uint8_t *buf, size_t len,
    uint64_t now_ms);
void hid_tick(struct hid *, uint64_t now_ms);
/* ms until the next timer, or -1. */
int hid_timeout(const struct hid *, uint64_t now_ms);
void hid_conn_closed(struct hid *, int conn);
void hid_toggle_deny(struct hid *);

#endif
