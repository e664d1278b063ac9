#!/bin/bash
# OpenSSH 10.x agent protocol details (issue 19): SSH_AGENT_EXTENSION_FAILURE
# for a known extension that failed; size caps on destination constraints;
# certificates refused once expired and dropped when they expire.
. "$(dirname "$0")/lib.sh"

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
str() { printf '%08x%s' $((${#1} / 2)) "$1"; }	# HEX: an SSH string
ext() {	# NAME [DATA-HEX]: an SSH_AGENTC_EXTENSION frame
	echo "f:1b$(str "$(hex "$1")")${2:-}"
}
reply() { "$RAW" -n 1 "$@" | cut -c1-2; }

start_agent

# 1. RFC 9987 / OpenSSH 10.3: a supported extension that fails answers
# SSH_AGENT_EXTENSION_FAILURE (28); an unknown one SSH_AGENT_FAILURE (5).
is "an unknown extension: SSH_AGENT_FAILURE (5)" \
	"$(reply "$(ext nosuch@example.com)")" 05
is "session-bind@openssh.com, malformed: SSH_AGENT_EXTENSION_FAILURE (28)" \
	"$(reply "$(ext session-bind@openssh.com 00)")" 1c
is "session-bind@openssh.com, a bad signature: 28" \
	"$(reply "$(ext session-bind@openssh.com "$(str 00)$(str 0011)$(str 00)00")")" 1c
is "key-info@skagent.org with trailing bytes: 28" \
	"$(reply "$(ext key-info@skagent.org 00)")" 1c
is "status@skagent.org with trailing bytes: 28" \
	"$(reply "$(ext status@skagent.org 00)")" 1c
is "query still answers (29)" "$(reply "$(ext query)")" 1d
is "a message that is no extension keeps 5" "$(reply f:63)" 05
ok "ssh-add -l after all that" sh -c 'ssh-add -l >/dev/null; [ $? -le 1 ]'

# 2. OpenSSH 10.4 caps destination constraints: a user pattern of at most
# 256 characters and a host name of at most 255 (a pattern is matched
# against every signature request's user; tests/unit/test-match counts
# the cost of a hostile one).
ssh-keygen -q -t ed25519 -N '' -C user -f "$T/u" || bail keygen
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" || bail keygen
long() { printf "$1%.0s" $(seq 1 "$2"); }
h255=$(long h 255)
h256=$(long h 256)
{
	echo "myhost $(cat "$T/ca.pub")"
	echo "$h255 $(cat "$T/ca.pub")"
	echo "$h256 $(cat "$T/ca.pub")"
} >"$T/kh"
hadd() { ssh-add -q -H "$T/kh" -h "$1" "$T/u" 2>/dev/null; }
ok "ssh-add -h with a 256-character user pattern" hadd "$(long 'a*' 128)@myhost"
fails "  257 characters: refused" hadd "$(long a 257)@myhost"
ok "a 255-character host name" hadd "$h255"
fails "  256 characters: refused" hadd "$h256"
like "the log says why" "$(cat "$T/agent.log")" "too long"
ssh-add -q -D

# 3. Certificates (OpenSSH 10.1's ssh-add asks for this with a lifetime;
# the agent enforces it for every client).
cert() {	# VALIDITY ID: u-cert.pub signed by ca
	ssh-keygen -q -s "$T/ca" -I "$2" -n "$(id -un)" -V "$1" "$T/u.pub" ||
		bail "ssh-keygen -s"
}
ncerts() { ssh-add -L | grep -c cert-v01; }
cert -1h:-1m expired
ssh-add -q "$T/u" 2>/dev/null
is "an expired certificate is refused when added (the plain key is added)" \
	"$(ncerts):$(ssh-add -l | wc -l)" "0:1"
like "  the log names it" "$(cat "$T/agent.log")" "refusing certificate expired.*expired"
ssh-add -q -D
cert -1m:+3s short
ssh-add -q "$T/u" 2>/dev/null
is "a certificate valid 3 s more is added" "$(ncerts)" 1
ok "  and dropped when it expires, the plain key kept" \
	wait_for 15 sh -c '[ "$(ssh-add -L | grep -c cert-v01)" = 0 ] && [ "$(ssh-add -l | wc -l)" = 1 ]'
ssh-add -q -D
cert +1h:+2h later
ssh-add -q "$T/u" 2>/dev/null
is "a certificate valid only later is taken (usable when its time comes)" "$(ncerts)" 1
ssh-add -q -D
cert -1m:+1h hour
ssh-add -q -t 2 "$T/u" 2>/dev/null
ok "a shorter lifetime than the certificate's still applies" \
	wait_for 15 sh -c '[ "$(ssh-add -l 2>&1)" = "The agent has no identities." ]'
ok "the agent survived it all" agent_alive
done_testing
