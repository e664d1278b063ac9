#!/bin/bash
# Records fuzz-agent seeds from stock OpenSSH programs talking to skagent
# through tests/helpers/agent-record: one seed file per scenario, in
# tests/fuzz/corpus/agent.  Run from the top of the tree after make all-tests.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
C=$TOP/tests/fuzz/corpus/agent
mkdir -p "$C"
start_agent
AGENT_SOCK=$SSH_AUTH_SOCK
for t in ed25519 ecdsa rsa; do
	ssh-keygen -q -t $t -N '' -C "seed $t" -f "$T/$t" ${t/rsa/-b 1024} 2>/dev/null ||
		ssh-keygen -q -t $t -N '' -C "seed $t" -f "$T/$t"
done
ssh-keygen -q -t ed25519 -N '' -f "$T/ca"
ssh-keygen -q -s "$T/ca" -I seed -n "$(id -un)" "$T/ed25519.pub"
start_sshd host
cat "$T"/*.pub >>"$T/host/authorized_keys"
echo "cert-authority $(cat "$T/ca.pub")" >>"$T/host/authorized_keys"
printf '#!/bin/sh\necho sekrit\n' >"$T/askpass"
chmod +x "$T/askpass"
scenario() {	# NAME COMMAND...
	local name=$1
	shift
	rm -f "$C/$name" "$T/rec.sock"
	"$TOP/tests/helpers/agent-record" "$T/rec.sock" "$AGENT_SOCK" "$C/$name" &
	local rec=$!
	wait_for 5 test -S "$T/rec.sock"
	SSH_AUTH_SOCK=$T/rec.sock "$@" >/dev/null 2>&1 || true
	sleep 0.2
	kill $rec
	wait $rec 2>/dev/null || true
}
scenario add-ed25519 ssh-add "$T/ed25519"
scenario add-ecdsa ssh-add "$T/ecdsa"
scenario add-rsa-constrained ssh-add -t 60 -c "$T/rsa"
scenario list sh -c 'ssh-add -l; ssh-add -L'
scenario sign-all ssh-add -T "$T/ed25519.pub" "$T/ecdsa.pub" "$T/rsa.pub"
echo msg >"$T/msg"
scenario sshsig ssh-keygen -Y sign -f "$T/ed25519.pub" -n git "$T/msg"
scenario login ssh -F "$T/ssh_config" host true
scenario login-forward ssh -A -F "$T/ssh_config" host true
scenario remove sh -c "ssh-add -d '$T/ecdsa'; ssh-add -D"
scenario lock env SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
	setsid sh -c 'ssh-add -x </dev/null; ssh-add -l; ssh-add -X </dev/null'
scenario restrict ssh-add -H "$T/known_hosts" -h "[127.0.0.1]:$SSHD_PORT" -h "[127.0.0.1]:$SSHD_PORT>$(id -un)@[127.0.0.1]:$SSHD_PORT" "$T/ecdsa"
ls -la "$C"
