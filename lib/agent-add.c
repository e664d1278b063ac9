#include <unistd.h>

#include "agent-add.h"
#include "agent-client.h"
#include "sshbuf.h"

#define SSH_COM_AGENT2_FAILURE	30
#define SSH2_AGENT_FAILURE	102

int
agent_add_identity_fd(int fd, const struct key *k, const char *comment)
{
	struct sshbuf *req = NULL, *reply = NULL;
	uint8_t type;
	int r;

	if (fd < 0 || k == NULL || !key_has_private(k))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((req = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_u8(req, SSH_AGENTC_ADD_IDENTITY)) != 0 ||
	    (r = key_private_serialize(k, req)) != 0 ||
	    (r = sshbuf_put_cstring(req, comment != NULL ? comment : "")) != 0 ||
	    (r = agent_request(fd, req, &reply)) != 0 ||
	    (r = sshbuf_get_u8(reply, &type)) != 0)
		goto out;
	switch (type) {
	case SSH_AGENT_SUCCESS:
		r = sshbuf_len(reply) == 0 ? 0 : SKA_ERR_INVALID_FORMAT;
		break;
	case SSH_AGENT_FAILURE:
	case SSH_AGENT_EXTENSION_FAILURE:
	case SSH_COM_AGENT2_FAILURE:
	case SSH2_AGENT_FAILURE:
		r = SKA_ERR_AGENT_FAILURE;
		break;
	default:
		r = SKA_ERR_INVALID_FORMAT;
	}
 out:
	sshbuf_free(req);
	sshbuf_free(reply);
	return r;
}

int
agent_add_identity(const char *path, const struct key *k, const char *comment)
{
	int fd = -1, r;

	if ((r = agent_connect(path, &fd)) != 0)
		return r;
	r = agent_add_identity_fd(fd, k, comment);
	close(fd);
	return r;
}
