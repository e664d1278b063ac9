/* The agent's command-line options (main.c), read everywhere. */
#ifndef SKA_OPTIONS_H
#define SKA_OPTIONS_H

#include <stddef.h>

#include "key.h"

struct agent_options {
	int debug;			/* -d */
	int foreground;			/* -D or -d */
	unsigned int default_life;	/* -t, seconds; 0 = forever */
	enum key_fp_hash fp_hash;	/* -E */
	int allow_remote_pkcs11;	/* -O allow-remote-pkcs11 */
	int restrict_websafe;		/* not -O no-restrict-websafe */
	char *websafe_allow;		/* -O websafe-allow= */
	char *provider_allowlist;	/* -P */
	int confirm_forwarded;		/* -O confirm-forwarded */
	int hide_absent;		/* -O hide-absent */
	char *notify_cmd;		/* --notify-cmd */
	unsigned int pin_cache;		/* --pin-cache seconds; 0 = off */
	int no_record;			/* --no-record */
	size_t record_max;		/* --record-size; 0 = default */
};
extern struct agent_options opts;

#endif
