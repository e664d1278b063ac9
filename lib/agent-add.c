#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-add.h"
#include "sshbuf.h"

#define SSH_AGENTC_ADD_IDENTITY		17
#define SSH_AGENT_FAILURE		5
#define SSH_AGENT_SUCCESS		6
#define SSH_AGENT_EXTENSION_FAILURE	28
#define SSH_COM_AGENT2_FAILURE		30
#define SSH2_AGENT_FAILURE		102

static int
send_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return SKA_ERR_AGENT_COMMUNICATION;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
recv_all(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return SKA_ERR_AGENT_COMMUNICATION;
		}
		if (n == 0)
			return SKA_ERR_AGENT_COMMUNICATION;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
agent_add_identity_fd(int fd, const struct key *k, const char *comment)
{
	struct sshbuf *body = NULL, *msg = NULL, *reply = NULL;
	uint8_t lenbuf[4], *dp, type;
	uint32_t len;
	int r;

	if (fd < 0 || k == NULL || !key_has_private(k))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((body = sshbuf_new()) == NULL || (msg = sshbuf_new()) == NULL ||
	    (reply = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_u8(body, SSH_AGENTC_ADD_IDENTITY)) != 0 ||
	    (r = key_private_serialize(k, body)) != 0 ||
	    (r = sshbuf_put_cstring(body, comment != NULL ? comment : "")) != 0 ||
	    (r = sshbuf_put_stringb(msg, body)) != 0)
		goto out;
	if ((r = send_all(fd, sshbuf_ptr(msg), sshbuf_len(msg))) != 0 ||
	    (r = recv_all(fd, lenbuf, sizeof(lenbuf))) != 0)
		goto out;
	len = peek_u32(lenbuf);
	if (len == 0 || len > AGENT_ADD_MAX_REPLY) {
		r = SKA_ERR_AGENT_COMMUNICATION;
		goto out;
	}
	if ((r = sshbuf_reserve(reply, len, &dp)) != 0 ||
	    (r = recv_all(fd, dp, len)) != 0 ||
	    (r = sshbuf_get_u8(reply, &type)) != 0)
		goto out;
	switch (type) {
	case SSH_AGENT_SUCCESS:
		r = sshbuf_len(reply) == 0 ? 0 : SKA_ERR_AGENT_COMMUNICATION;
		break;
	case SSH_AGENT_FAILURE:
	case SSH_AGENT_EXTENSION_FAILURE:
	case SSH_COM_AGENT2_FAILURE:
	case SSH2_AGENT_FAILURE:
		r = SKA_ERR_AGENT_FAILURE;
		break;
	default:
		r = SKA_ERR_AGENT_COMMUNICATION;
	}
 out:
	sshbuf_free(body);
	sshbuf_free(msg);
	sshbuf_free(reply);
	return r;
}

int
agent_add_identity(const char *path, const struct key *k, const char *comment)
{
	struct sockaddr_un sun;
	int fd = -1, r;

	if (path == NULL)
		path = getenv("SSH_AUTH_SOCK");
	if (path == NULL || *path == '\0')
		return SKA_ERR_AGENT_NOT_PRESENT;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return SKA_ERR_INVALID_ARGUMENT;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return SKA_ERR_SYSTEM;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return SKA_ERR_AGENT_NOT_PRESENT;
	}
	r = agent_add_identity_fd(fd, k, comment);
	close(fd);
	return r;
}
