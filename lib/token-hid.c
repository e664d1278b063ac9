/*
 * The hidraw transport, the default: a USB or Bluetooth security key named
 * by its device path (/dev/hidraw3), reached and found by libfido2 itself.
 * libfido2 holds an exclusive flock() on an open hidraw node, so a handle
 * is closed after each operation (unless the context holds them).
 */
#include <sys/stat.h>

#include "token-impl.h"

static int
hid_valid(const char *spec)
{
	return spec[0] == '/';
}

static int
hid_node(const char *spec, struct token_node *n)
{
	return token_node_stat(spec, S_IFCHR, n);
}

const struct token_transport token_transport_hid = {
	.name = "hidraw",
	.prefix = "",
	.form = "a device path",
	.valid = hid_valid,
	.io = NULL,
	.exclusive = 1,
	.node = hid_node,
	.manifest = fido_dev_info_manifest,
};
