#!/bin/bash
# Stock OpenSSH against skagent: ssh-add's every operation, certificates,
# git-style ssh-keygen -Y signatures and ssh logins with each key type.
. "$(dirname "$0")/lib.sh"

gen() {	# NAME TYPE [BITS]
	ssh-keygen -q -t "$2" ${3:+-b "$3"} -N '' -C "key $1" -f "$T/$1" || bail "keygen $1"
}
gen ed25519 ed25519
gen ecdsa256 ecdsa 256
gen ecdsa384 ecdsa 384
gen ecdsa521 ecdsa 521
gen rsa2048 rsa 2048
keys="ed25519 ecdsa256 ecdsa384 ecdsa521 rsa2048"

start_agent
for k in $keys; do
	ok "ssh-add $k" ssh-add -q "$T/$k"
done
is "ssh-add -l lists five keys" "$(ssh-add -l | wc -l)" 5
for k in $keys; do
	fp=$(ssh-keygen -l -f "$T/$k.pub")
	ok "ssh-add -l shows $k as ssh-keygen -l does" grep -qxF "$fp" <(ssh-add -l)
done
is "ssh-add -L gives the .pub lines" "$(ssh-add -L | cut -d' ' -f1,2)" \
	"$(for k in $keys; do cut -d' ' -f1,2 "$T/$k.pub"; done)"
ok "ssh-add -T: the agent signs, OpenSSH verifies (all types)" \
	ssh-add -T $(for k in $keys; do echo "$T/$k.pub"; done)
is "listing keeps the order keys were added" "$(ssh-add -l | awk '{print $3,$4}' | tr '\n' ,)" \
	"key ed25519,key ecdsa256,key ecdsa384,key ecdsa521,key rsa2048,"
ssh-add -q "$T/ecdsa256" 2>/dev/null
is "re-adding a key does not duplicate it" "$(ssh-add -l | wc -l)" 5

# git's SSH commit signing: ssh-keygen -Y sign through the agent
echo "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904" >"$T/commit"
for k in $keys; do
	rm -f "$T/commit.sig"
	ok "-Y sign with $k through the agent" \
		ssh-keygen -q -Y sign -f "$T/$k.pub" -n git "$T/commit"
	echo "signer@example $(cat "$T/$k.pub")" >"$T/allowed_$k"
	ok "-Y verify accepts the $k signature" ssh-keygen -q -Y verify \
		-f "$T/allowed_$k" -I signer@example -n git -s "$T/commit.sig" <"$T/commit"
done

# logins: every type, and RSA with each SHA-2 algorithm
start_sshd alpha
for k in $keys; do cat "$T/$k.pub"; done >>"$T/alpha/authorized_keys"
for k in $keys; do
	fp=$(ssh-keygen -l -f "$T/$k.pub" | awk '{print $2}')
	SSH_OPTS=(-o "IdentityFile=$T/$k.pub" -o IdentitiesOnly=yes)
	is "ssh logs in with the agent's $k key" "$(ssh_to alpha echo in)" in
	ok "sshd accepted $k" grep -qF "$fp" <(grep "Accepted publickey" "$T/alpha/sshd.log")
done
for alg in rsa-sha2-256 rsa-sha2-512; do
	start_sshd "rsa_$alg" "PubkeyAcceptedAlgorithms $alg" "LogLevel DEBUG1"
	cp "$T/rsa2048.pub" "$T/rsa_$alg/authorized_keys"
	SSH_OPTS=(-o "IdentityFile=$T/rsa2048.pub" -o IdentitiesOnly=yes
		-o "PubkeyAcceptedAlgorithms=$alg")
	is "ssh logs in with rsa and $alg" "$(ssh_to "rsa_$alg" echo in)" in
	ok "sshd saw $alg" grep -q "pkalg $alg" "$T/rsa_$alg/sshd.log"
done
SSH_OPTS=()

# removal
ok "ssh-add -d removes a key" ssh-add -q -d "$T/ecdsa384"
is "four keys left" "$(ssh-add -l | wc -l)" 4
fails "removing it again fails" ssh-add -q -d "$T/ecdsa384"
ok "ssh-add -D removes all" ssh-add -q -D
is "the agent is empty" "$(ssh-add -l 2>&1)" "The agent has no identities."

# certificates: loaded with their key, used to log in
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" || bail ca
ssh-keygen -q -s "$T/ca" -I test-cert -n "$(id -un)" -V -5m:+1h "$T/ed25519.pub" || bail sign
ok "ssh-add loads a key with its certificate" ssh-add -q "$T/ed25519"
is "key and certificate listed" "$(ssh-add -l | wc -l)" 2
like "the certificate is listed as one" "$(ssh-add -l)" "ED25519-CERT"
start_sshd certhost "TrustedUserCAKeys $T/ca.pub"
SSH_OPTS=(-o "IdentityFile=$T/ed25519-cert.pub" -o "CertificateFile=$T/ed25519-cert.pub" -o IdentitiesOnly=yes)
is "ssh logs in with the certificate held by the agent" "$(ssh_to certhost echo cert)" cert
ok "sshd accepted a certificate" grep -q "Accepted publickey.*ED25519-CERT" "$T/certhost/sshd.log"
SSH_OPTS=()
ok "ssh-add -d removes key and certificate" ssh-add -q -d "$T/ed25519"
is "both gone" "$(ssh-add -l 2>&1)" "The agent has no identities."
rm -f "$T/ed25519-cert.pub"

# lifetimes: -t on ssh-add, and the agent's own -t
ok "ssh-add -t 1" ssh-add -q -t 1 "$T/ecdsa256"
is "listed at first" "$(ssh-add -l | wc -l)" 1
ok "gone after its lifetime" wait_for 5 sh -c '! ssh-add -l >/dev/null'
stop_agent
start_agent -t 1
ssh-add -q "$T/ed25519" 2>/dev/null
ssh-add -q -t 60 "$T/ecdsa256"
ok "the agent's -t lifetime applies to a key added without one" \
	wait_for 5 sh -c '[ "$(ssh-add -l | wc -l)" = 1 ]'
like "a key's own lifetime beats the agent's" "$(ssh-add -l)" "key ecdsa256"
stop_agent

# lock and unlock
start_agent
ssh-add -q "$T/ed25519" "$T/rsa2048" 2>/dev/null
# ssh-add reads the lock password from the tty or SSH_ASKPASS
cat >"$T/askpass" <<'AP'
#!/bin/sh
cat "$ASKPASS_ANSWER_FILE"
AP
chmod +x "$T/askpass"
askpass() {	# ANSWER COMMAND...
	printf '%s\n' "$1" >"$T/answer"
	shift
	ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
		setsid "$@" </dev/null
}
ok "ssh-add -x locks" askpass sekrit ssh-add -x
is "locked: no keys listed" "$(ssh-add -l 2>&1)" "The agent has no identities."
fails "locked: cannot sign" ssh-add -T "$T/ed25519.pub"
fails "locked: cannot add" ssh-add -q "$T/ecdsa256"
fails "locking twice fails" askpass other ssh-add -x
fails "unlock with the wrong password fails" askpass wrong ssh-add -X
ok "unlock with the right password" askpass sekrit ssh-add -X
is "unlocked: keys are back" "$(ssh-add -l | wc -l)" 2
ok "unlocked: signs again" ssh-add -T "$T/ed25519.pub" "$T/rsa2048.pub"

# confirm (-c): the agent asks SSH_ASKPASS; yes signs, no refuses
stop_agent
printf 'yes\n' >"$T/answer"
ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force start_agent
ok "ssh-add -c" ssh-add -q -c "$T/ed25519"
ok "confirmed use signs" ssh-add -T "$T/ed25519.pub"
printf 'no\n' >"$T/answer"
fails "refused use does not sign" ssh-add -T "$T/ed25519.pub"
stop_agent
# without pidfd_open (Linux before 5.3): the prompt's exit seen by SIGCHLD
if [ -z "${SKA_VALGRIND:-}" ] && command -v strace >/dev/null 2>&1 &&
    strace -f -o /dev/null true 2>/dev/null; then
	printf 'yes\n' >"$T/answer"
	rm -f "$T/agent.sock"
	ASKPASS_ANSWER_FILE=$T/answer SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
		bg strace -f -qq -o /dev/null -e trace=pidfd_open \
		-e inject=pidfd_open:error=ENOSYS "$SKAGENT" -D -a "$T/agent.sock" \
		>"$T/agent.out" 2>"$T/agent.log"
	wait_for 10 test -S "$T/agent.sock" || bail "agent under strace"
	# the agent is strace's child; strace goes when it does
	AGENT_PID=$(cat "/proc/$BG_PID/task/$BG_PID/children")
	_bg_pids="$_bg_pids $AGENT_PID"
	ssh-add -q -c "$T/ed25519"
	ok "no pidfd_open: confirmed use signs" ssh-add -T "$T/ed25519.pub"
	printf 'no\n' >"$T/answer"
	fails "no pidfd_open: refused use does not sign" ssh-add -T "$T/ed25519.pub"
	stop_agent
else
	skip "strace missing or not allowed (or valgrind, which has no pidfd_open)"
	skip "the same"
fi
start_agent	# no askpass, no display: a confirm key cannot be confirmed
ssh-add -q -c "$T/ed25519"
fails "no way to ask: refused" ssh-add -T "$T/ed25519.pub"
ok "the agent survived all of it" agent_alive
done_testing
