/*
 * Key files as OpenSSH writes them: the private "openssh-key-v1" format
 * (PROTOCOL.key; "-----BEGIN OPENSSH PRIVATE KEY-----", base64 at 70
 * columns) and the one-line .pub file.
 *
 * Reads the ciphers ssh-keygen -Z can write: none, aes128/192/256-ctr,
 * aes128/192/256-cbc, 3des-cbc, aes128/256-gcm@openssh.com and
 * chacha20-poly1305@openssh.com, with the "bcrypt" KDF.  Writes "none", or
 * aes256-ctr + bcrypt (ssh-keygen's default) or any of the above when asked.
 * The old PEM formats (PKCS#1, PKCS#8, "BEGIN RSA PRIVATE KEY") are not read.
 *
 * Decrypted material only lives in buffers that are wiped when freed, and
 * in the struct key (locked memory).
 */
#ifndef SKA_KEYFILE_H
#define SKA_KEYFILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "sshbuf.h"

#define KEYFILE_MAX_SIZE	(1024 * 1024)	/* as OpenSSH */
#define KEYFILE_DEFAULT_CIPHER	"aes256-ctr"
#define KEYFILE_DEFAULT_ROUNDS	16		/* ssh-keygen -a */
/*
 * The most bcrypt rounds a file may ask for (OpenSSH has no limit: a file
 * with 2^32-1 rounds keeps a reader busy for years).  A round costs about
 * 10 ms: -a 100, the usual advice, takes a second, -a 1000 ten; 16384 is
 * minutes of work, more than anyone waits to use a key.
 */
#define KEYFILE_MAX_ROUNDS	16384
#define KEYFILE_SALT_LEN	16		/* written */
#define KEYFILE_SALT_MAX	64		/* read */

/* How a private key file is (or is to be) protected. */
struct keyfile_params {
	char cipher[32];	/* "none", "aes256-ctr", ... */
	char kdf[8];		/* "none" or "bcrypt" */
	unsigned int rounds;	/* bcrypt rounds; 0 when kdf is "none" */
	uint8_t salt[KEYFILE_SALT_MAX];
	size_t saltlen;
	uint32_t checkint;	/* read: set once decrypted */
	int fixed;		/* write: use salt and checkint as given (tests) */
};

/*
 * Parses a whole private key file.  passphrase NULL or "" for unencrypted
 * files (ignored for them).  Errors: SKA_ERR_PASSPHRASE_REQUIRED (encrypted,
 * no passphrase), SKA_ERR_KEY_WRONG_PASSPHRASE (the check integers or the
 * cipher's tag disagree), SKA_ERR_FEATURE_UNSUPPORTED (unknown cipher or
 * KDF), SKA_ERR_KDF_ROUNDS (more than KEYFILE_MAX_ROUNDS bcrypt rounds,
 * refused before any is run), SKA_ERR_INVALID_FORMAT and others for
 * anything malformed.
 * commentp and paramsp may be NULL; caller frees *commentp.
 */
int keyfile_parse_private(const uint8_t *data, size_t len,
    const char *passphrase, struct key **keyp, char **commentp,
    struct keyfile_params *paramsp) SKA_WUR;

/*
 * The public key of a private key file, encrypted or not, without the
 * passphrase (the comment is inside the encrypted part: not returned).
 * paramsp (may be NULL) tells the cipher and KDF, rounds over
 * KEYFILE_MAX_ROUNDS included.
 */
int keyfile_parse_public(const uint8_t *data, size_t len, struct key **keyp,
    struct keyfile_params *paramsp) SKA_WUR;

/*
 * Appends the private key file for k (which must hold its private half) to
 * out, exactly as ssh-keygen writes it.  passphrase NULL or "": unencrypted;
 * otherwise aes256-ctr with a bcrypt key of rounds rounds (0: 16, more
 * than KEYFILE_MAX_ROUNDS: SKA_ERR_KDF_ROUNDS) and a random salt.  comment
 * NULL is written as "".
 */
int keyfile_serialize_private(const struct key *k, const char *comment,
    const char *passphrase, unsigned int rounds, struct sshbuf *out) SKA_WUR;
/* Same, with the cipher, rounds and (p->fixed) salt and checkint of p. */
int keyfile_serialize_private_params(const struct key *k, const char *comment,
    const char *passphrase, const struct keyfile_params *p,
    struct sshbuf *out) SKA_WUR;

/*
 * Reads a private key file.  A file owned by the caller that group or
 * others may access gives SKA_ERR_KEY_BAD_PERMISSIONS, as ssh refuses it
 * ("UNPROTECTED PRIVATE KEY FILE!").  Files over KEYFILE_MAX_SIZE are
 * refused.  Other results as keyfile_parse_private.
 */
int keyfile_load_private(const char *path, const char *passphrase,
    struct key **keyp, char **commentp, struct keyfile_params *paramsp) SKA_WUR;

/*
 * The public key in path: a .pub / authorized_keys line (the first key
 * line; blank and '#' lines skipped; no options) or the public half of a
 * private key file (no passphrase needed, *commentp NULL).  commentp may
 * be NULL; caller frees.
 */
int keyfile_load_public(const char *path, struct key **keyp,
    char **commentp) SKA_WUR;

/*
 * A whole file of at most max bytes (larger: SKA_ERR_INVALID_FORMAT; on
 * SKA_ERR_SYSTEM errno tells why), e.g. a challenge or an attestation.
 */
int keyfile_read_file(const char *path, size_t max, struct sshbuf **bp) SKA_WUR;

#define KEYFILE_OVERWRITE	0x01	/* replace existing files */

/*
 * Writes path (private, mode 0600) and path.pub (mode 0644) atomically.
 * Each is written as an unnamed file (O_TMPFILE) in its directory, fsync'd,
 * and linked into place once both are whole: a process killed at any
 * moment (SIGKILL included) leaves nothing, or whole files.  Replacing an
 * existing file (KEYFILE_OVERWRITE) links the whole file to a temporary
 * name (.NAME.PID.XXXXXX) for the rename(2) that swaps it in.  Where the
 * file system has no O_TMPFILE (or /proc is missing and AT_EMPTY_PATH not
 * allowed) the file is written under that temporary name and renamed: the
 * name never shows a partial file, and a temporary a killed writer left is
 * removed by the next write of the same name (its PID gone; the file ours
 * and regular).  Without KEYFILE_OVERWRITE, an existing path or path.pub
 * gives SKA_ERR_FILE_EXISTS and nothing is changed.  On failure nothing is
 * left behind.  SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGTSTP are held back
 * meanwhile.  On SKA_ERR_SYSTEM, errno tells the cause.
 */
int keyfile_save(const char *path, const struct key *k, const char *comment,
    const char *passphrase, unsigned int rounds, int flags) SKA_WUR;
/* Same, with keyfile_serialize_private_params. */
int keyfile_save_params(const char *path, const struct key *k,
    const char *comment, const char *passphrase,
    const struct keyfile_params *p, int flags) SKA_WUR;

/*
 * Writes one file (mode as given) the same way: atomically, signals held,
 * nothing left behind on failure; without KEYFILE_OVERWRITE an existing
 * path gives SKA_ERR_FILE_EXISTS.  For ssh-keygen -O write-attestation,
 * and agent-keygen -p and -c.
 */
int keyfile_write_file(const char *path, const uint8_t *data, size_t len,
    mode_t mode, int flags) SKA_WUR;

#endif
