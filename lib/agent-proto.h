/*
 * The agent protocol's numbers and names, for the agent and its clients
 * alike (OpenSSH's authfd.h): PROTOCOL.agent, draft-ietf-sshm-ssh-agent,
 * OpenSSH's extensions and ours (PROTOCOL.skagent).
 */
#ifndef SKA_AGENT_PROTO_H
#define SKA_AGENT_PROTO_H

#define AGENT_MAX_LEN		(256 * 1024)	/* largest frame, as OpenSSH */

/* Messages */
#define SSH_AGENT_FAILURE			5
#define SSH_AGENT_SUCCESS			6
#define SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES	9
#define SSH2_AGENTC_REQUEST_IDENTITIES		11
#define SSH2_AGENT_IDENTITIES_ANSWER		12
#define SSH2_AGENTC_SIGN_REQUEST		13
#define SSH2_AGENT_SIGN_RESPONSE		14
#define SSH2_AGENTC_ADD_IDENTITY		17
#define SSH2_AGENTC_REMOVE_IDENTITY		18
#define SSH2_AGENTC_REMOVE_ALL_IDENTITIES	19
#define SSH_AGENTC_ADD_SMARTCARD_KEY		20
#define SSH_AGENTC_REMOVE_SMARTCARD_KEY		21
#define SSH_AGENTC_LOCK				22
#define SSH_AGENTC_UNLOCK			23
#define SSH2_AGENTC_ADD_ID_CONSTRAINED		25
#define SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED 26
#define SSH_AGENTC_EXTENSION			27
#define SSH_AGENT_EXTENSION_FAILURE		28
#define SSH_AGENT_EXTENSION_RESPONSE		29
/* Failures from other agents a client must take as such */
#define SSH_COM_AGENT2_FAILURE			30
#define SSH2_AGENT_FAILURE			102

/* Key constraints */
#define SSH_AGENT_CONSTRAIN_LIFETIME		1
#define SSH_AGENT_CONSTRAIN_CONFIRM		2
#define SSH_AGENT_CONSTRAIN_EXTENSION		255
#define AGENT_CONSTRAIN_SK_PROVIDER	"sk-provider@openssh.com"
#define AGENT_CONSTRAIN_DESTINATION	"restrict-destination-v00@openssh.com"
#define AGENT_CONSTRAIN_ASSOCIATED_CERTS "associated-certs-v00@openssh.com"

/* Signature request flags */
#define SSH_AGENT_RSA_SHA2_256			0x02
#define SSH_AGENT_RSA_SHA2_512			0x04

/* Extensions */
#define AGENT_EXT_QUERY			"query"
#define AGENT_EXT_SESSION_BIND		"session-bind@openssh.com"
#define AGENT_EXT_KEY_INFO		"key-info@skagent.org"
#define AGENT_EXT_STATUS		"status@skagent.org"

/* What a signature for a login is made over (RFC 4252, 7) */
#define SSH2_MSG_USERAUTH_REQUEST		50

#endif
