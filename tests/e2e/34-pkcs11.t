#!/bin/bash
# PKCS#11 smartcard keys with stock OpenSSH and SoftHSMv2, a real module:
# ssh-add -s / -e / -l / -L / -T, the keys as stock ssh-keygen -D reads
# them, logins to a stock sshd (RSA with SHA-256 and SHA-512, ECDSA P-256,
# P-384, P-521, Ed25519), a certificate associated with a token key, the
# constraints (lifetime, confirm, -h), lock, wrong PIN; the module never
# in the agent (its /proc/PID/maps), the -P allowlist and the module check
# (a copy elsewhere, a library with a constructor, a directory), forwarded
# clients refused, a killed and a hung helper failing cleanly while the
# agent serves others; and the same flow against OpenSSH's own ssh-agent.
. "$(dirname "$0")/lib.sh"

start_softhsm 123456
# ssh-add asks the PIN, lock passwords and (through the agent) confirmations
cat >"$T/askpass" <<'AP'
#!/bin/sh
echo "$1" >>"$ASKPASS_LOG"
case $1 in
*PKCS#11*) cat "$ASKPASS_DIR/pin" ;;
*"Allow use"*) cat "$ASKPASS_DIR/confirm" ;;
*) echo sekrit ;;
esac
AP
chmod +x "$T/askpass"
export SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_DIR=$T \
	ASKPASS_LOG=$T/askpass.log
echo 123456 >"$T/pin"
echo yes >"$T/confirm"
REAL=$(realpath "$P11MOD")

# the keys as the token holds them
for k in $P11KEYS; do
	softhsm_pub "$k" >"$T/$k.pub"
done
ssh-keygen -D "$P11MOD" 2>/dev/null | cut -d' ' -f1-2 | sort >"$T/stock-D"
is "stock ssh-keygen -D reads the RSA and ECDSA keys of the token" \
	"$(cat "$T/rsa2048.pub" "$T"/ecdsa*.pub | sort)" "$(cat "$T/stock-D")"

# helper: the pid of the agent's PKCS#11 helper (none: empty)
helper_pid() { pgrep -P "$AGENT_PID" -f skagent-pkcs11-helper; }
keys_listed() { ssh-add -L 2>/dev/null | cut -d' ' -f1-2 | sort; }
all_pubs() { cat "$T"/{rsa2048,ecdsa256,ecdsa384,ecdsa521,ed25519}.pub | sort; }

# 1. ssh-add -s: every key, listed and signing
start_agent
out=$(ssh-add -s "$P11MOD" </dev/null 2>&1)
is "ssh-add -s adds the token" "$out" "Card added: $P11MOD"
like "ssh-add asked the PIN through SSH_ASKPASS" "$(cat "$T/askpass.log")" \
	"Enter passphrase for PKCS#11"
is "ssh-add -L: the five keys, as the token holds them" "$(keys_listed)" "$(all_pubs)"
is "ssh-add -l: labels are comments" \
	"$(ssh-add -l | awk '{print $3, $4}' | sort | tr '\n' ' ')" \
	"ecdsa256 (ECDSA) ecdsa384 (ECDSA) ecdsa521 (ECDSA) ed25519 (ED25519) rsa2048 (RSA) "
for k in $P11KEYS; do
	ok "ssh-add -T: the token signs with $k" ssh-add -T "$T/$k.pub"
done
ok "the helper runs" test -n "$(helper_pid)"
HPID=$(helper_pid)
fails "the agent's memory maps no PKCS#11 module" grep -q softhsm "/proc/$AGENT_PID/maps"
ok "the helper's does" grep -q "$REAL" "/proc/$HPID/maps"
fails "ssh-add -s twice: refused, as OpenSSH" ssh-add -s "$P11MOD" </dev/null

# 2. signatures as servers ask for them: logins to a stock sshd (RSA with
# both hashes, P-521, Ed25519; ssh-add -T above covers the rest).  A and B
# are known by those names (ssh-add -h wants them so).
for h in A B; do
	start_sshd "$h" "AllowAgentForwarding yes"
	all_pubs >>"$T/$h/authorized_keys"
	echo "$h $(cat "$T/$h/host_ed25519.pub")" >>"$T/hkeys"
	cat >>"$T/hconfig" <<-CONF
	Host $h
	  HostName 127.0.0.1
	  Port $SSHD_PORT
	  HostKeyAlias $h
	  User $(id -un)
	  UserKnownHostsFile $T/hkeys
	  StrictHostKeyChecking yes
	  BatchMode yes
	  IdentitiesOnly yes
	  ConnectTimeout 10
	  LogLevel ERROR
	CONF
done
login() {	# HOST KEY [ssh options...]: ssh through the agent with KEY only
	local h=$1 k=$2
	shift 2
	ssh -F "$T/hconfig" -o "IdentityFile=$T/$k.pub" "$@" "$h" echo in </dev/null
}
for a in rsa-sha2-256 rsa-sha2-512; do
	is "ssh logs in with the token's RSA key signing $a" \
		"$(login A rsa2048 -o "PubkeyAcceptedAlgorithms=$a")" in
	like "sshd saw $a" "$(grep 'Accepted publickey' "$T/A/sshd.log" | tail -n 1)" "RSA SHA256"
done
for k in ecdsa521 ed25519; do
	is "ssh logs in with the token's $k key" "$(login A $k)" in
done
echo "data" >"$T/msg"
ok "ssh-keygen -Y sign through the agent with the P-521 key" \
	ssh-keygen -q -Y sign -f "$T/ecdsa521.pub" -n file "$T/msg"
echo "me $(cat "$T/ecdsa521.pub")" >"$T/allowed"
ok "ssh-keygen -Y verify accepts it" ssh-keygen -q -Y verify -f "$T/allowed" \
	-I me -n file -s "$T/msg.sig" <"$T/msg"
like "the signing record has the token's signatures" \
	"$("$SKAGENT" --log -n 20 2>&1)" "ecdsa521"

# 3. ssh-add -e: the keys and the helper go; -s loads it anew
out=$(ssh-add -e "$P11MOD" 2>&1)
is "ssh-add -e removes the token" "$out" "Card removed: $P11MOD"
is "no keys are left" "$(ssh-add -l 2>&1)" "The agent has no identities."
ok "the helper is gone" wait_for 5 sh -c "! kill -0 $HPID 2>/dev/null"
fails "ssh-add -e again: not added" ssh-add -e "$P11MOD"
ok "ssh-add -s after -e" ssh-add -q -s "$P11MOD" </dev/null
ok "and it signs" ssh-add -T "$T/ecdsa256.pub"

# 4. remove-all ends the helper too; then -s works at once
HPID=$(helper_pid)
ok "ssh-add -D" ssh-add -q -D
ok "the helper is gone after -D" wait_for 5 sh -c "! kill -0 $HPID 2>/dev/null"
ok "ssh-add -s right after -D (OpenSSH wants -e first)" ssh-add -q -s "$P11MOD" </dev/null

# 5. lock: the keys cannot sign until unlock
ok "ssh-add -x locks" ssh-add -x </dev/null
is "locked: no keys listed" "$(ssh-add -l 2>&1)" "The agent has no identities."
fails "locked: the token keys do not sign" ssh-add -T "$T/ed25519.pub"
fails "locked: no ssh-add -e" ssh-add -e "$P11MOD"
fails "locked: no ssh-add -s" ssh-add -s "$P11MOD" </dev/null
ok "ssh-add -X unlocks" ssh-add -X </dev/null
is "unlocked: the keys are back" "$(keys_listed)" "$(all_pubs)"
ok "unlocked: they sign" ssh-add -T "$T/rsa2048.pub" "$T/ed25519.pub"

# 6. a killed helper: requests fail at once, others are served, -e/-s heal
ssh-keygen -q -t ed25519 -N '' -C file -f "$T/file"
ssh-add -q "$T/file"
kill -9 "$(helper_pid)"
ok "the agent sees the helper die" wait_for 20 grep -q "killed by signal 9" "$T/agent.log"
fails "killed helper: the token key fails" ssh-add -T "$T/ecdsa384.pub"
like "the agent says how to recover" "$(cat "$T/agent.log")" "ssh-add -e and ssh-add -s"
ok "the file key still signs" ssh-add -T "$T/file.pub"
ok "the agent lives" agent_alive
ok "ssh-add -e of the dead module" ssh-add -q -e "$P11MOD"
ok "ssh-add -s again" ssh-add -q -s "$P11MOD" </dev/null
ok "its keys sign again" ssh-add -T "$T/ecdsa384.pub"
stop_agent

# 7. a hung helper (stopped): a signature fails in bounded time, the agent
# serves others meanwhile, the helper is killed (a longer limit under
# valgrind, whose helper takes seconds to load the module)
TMO=2
[ -z "${SKA_VALGRIND:-}" ] || TMO=20
SKAGENT_PKCS11_TIMEOUT=$TMO start_agent
ssh-add -q -s "$P11MOD" </dev/null
ssh-add -q "$T/file"
HPID=$(helper_pid)
kill -STOP "$HPID"
start=$(date +%s)
ssh-add -T "$T/ed25519.pub" >/dev/null 2>&1 &
tpid=$!
ok "meanwhile the agent lists" sh -c "ssh-add -l >/dev/null"
ok "meanwhile the file key signs" ssh-add -T "$T/file.pub"
wait "$tpid"
st=$?
end=$(date +%s)
is "the hung helper's signature fails" "$st" 1
ok "within the timeout (took $((end - start)) s, limit $TMO s)" \
	test $((end - start)) -le $((TMO + 4))
like "the agent says the helper was killed" "$(cat "$T/agent.log")" "killed"
ok "the stopped helper is gone (SIGKILL)" wait_for 5 sh -c "! kill -0 $HPID 2>/dev/null"
ok "ssh-add -e and -s heal it" sh -c 'ssh-add -q -e "$1" && ssh-add -q -s "$1" </dev/null' sh "$P11MOD"
ok "it signs again" ssh-add -T "$T/ed25519.pub"
HPID=$(helper_pid)
stop_agent
ok "the agent's exit ends the helper" wait_for 5 sh -c "! kill -0 $HPID 2>/dev/null"

# 8. wrong PIN: a clear failure, one login attempt, nothing left behind
start_agent
echo 654321 >"$T/pin"
: >"$T/askpass.log"
fails "a wrong PIN: ssh-add -s fails" ssh-add -s "$P11MOD" </dev/null
like "the agent says so" "$(cat "$T/agent.log")" "wrong PIN"
is "the helper tried the PIN once" "$(grep -c 'login failed' "$T/agent.log")" 1
is "and nobody was asked again" "$(grep -c PKCS "$T/askpass.log")" 1
is "no keys" "$(ssh-add -l 2>&1)" "The agent has no identities."
ok "no helper is left" wait_for 5 sh -c "[ -z \"\$(pgrep -P $AGENT_PID)\" ]"
echo 123456 >"$T/pin"
ok "the right PIN then works" ssh-add -q -s "$P11MOD" </dev/null
ssh-add -q -e "$P11MOD"

# 9. the allowlist and the module check (CVE-2023-38408)
mkdir -p "$T/mods"
cp "$REAL" "$T/mods/copy.so"
fails "a copy of the module outside -P's default list: refused" \
	ssh-add -s "$T/mods/copy.so" </dev/null
like "the agent says why" "$(cat "$T/agent.log")" "not allowed \(-P\)"
cat >"$T/canary.c" <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void
canary(void)
{
	const char *p = getenv("CANARY");

	if (p != NULL)
		close(open(p, O_WRONLY | O_CREAT, 0600));
}
int not_a_module(void) { return 0; }
C
cc -shared -fPIC -o "$T/mods/libcanary.so" "$T/canary.c" || bail "cc"
echo "not even ELF" >"$T/mods/text.so"
stop_agent
CANARY=$T/canary-ran start_agent -P "/usr/lib*/*,$T/mods/*"
ok "-P naming the copy: it loads" ssh-add -q -s "$T/mods/copy.so" </dev/null
ok "and signs" ssh-add -T "$T/rsa2048.pub"
ssh-add -q -e "$T/mods/copy.so"
fails "a library with a constructor, no C_GetFunctionList: refused" \
	ssh-add -s "$T/mods/libcanary.so" </dev/null
like "the helper says it is no module" "$(cat "$T/agent.log")" \
	"libcanary.so is not a PKCS#11 module: it does not export C_GetFunctionList"
fails "its constructor never ran" test -e "$T/canary-ran"
fails "a file that is not ELF: refused" ssh-add -s "$T/mods/text.so" </dev/null
like "said so" "$(cat "$T/agent.log")" "text.so is not a PKCS#11 module"
mkdir -p "$T/mods/dir.so"
fails "a directory: refused" ssh-add -s "$T/mods/dir.so" </dev/null
like "said so" "$(cat "$T/agent.log")" "dir.so: not a regular file"
ok "the agent lives" agent_alive
stop_agent

# 10. constraints: lifetime, confirm, -h
start_agent
LIFE=2
[ -z "${SKA_VALGRIND:-}" ] || LIFE=30
ok "ssh-add -t $LIFE -s" ssh-add -q -t $LIFE -s "$P11MOD" </dev/null
is "the keys are there" "$(ssh-add -l | wc -l)" 5
HPID=$(helper_pid)
ok "and gone after their lifetime" wait_for $((LIFE + 10)) sh -c '[ "$(ssh-add -l 2>&1)" = "The agent has no identities." ]'
ok "the helper with them" wait_for 5 sh -c "! kill -0 $HPID 2>/dev/null"
ok "ssh-add -c -s" ssh-add -q -c -s "$P11MOD" </dev/null
: >"$T/askpass.log"
ok "a confirmed use signs" ssh-add -T "$T/ecdsa256.pub"
like "the agent asked" "$(cat "$T/askpass.log")" "Allow use of key ecdsa256"
echo no >"$T/confirm"
fails "a refused use does not" ssh-add -T "$T/ecdsa256.pub"
echo yes >"$T/confirm"
ssh-add -q -e "$P11MOD"
ok "ssh-add -h A -s" ssh-add -q -H "$T/hkeys" -h A -s "$P11MOD" </dev/null
is "-h A: the token key logs in to A" "$(login A ecdsa256)" in
fails "-h A: and not to B" login B ecdsa256
stop_agent

# 11. forwarded clients may not load modules (unless -O allow-remote-pkcs11)
start_agent
ssh-add -q "$T/file"
cat "$T/file.pub" >>"$T/A/authorized_keys"
fwd() {	# ssh -A to A, which runs ssh-add -s through the forwarded agent
	ssh -F "$T/hconfig" -o "IdentityFile=$T/file.pub" -A A \
		"SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_DIR=$T \
		ASKPASS_LOG=$T/askpass.log SOFTHSM2_CONF=$SOFTHSM2_CONF \
		ssh-add -s $P11MOD" </dev/null 2>&1
}
like "through a forwarded agent: ssh-add -s is refused" "$(fwd)" "agent refused"
like "the agent says why" "$(cat "$T/agent.log")" "from a forwarded connection"
is "no token keys were added" "$(ssh-add -l | wc -l)" 1
stop_agent
start_agent -O allow-remote-pkcs11
ssh-add -q "$T/file"
like "-O allow-remote-pkcs11: it is allowed" "$(fwd)" "Card added"
is "the token keys are there" "$(ssh-add -l | wc -l)" 6
stop_agent

# 12. certificates through associated-certs-v00@openssh.com: OpenSSH 9.6's
# ssh-add sends it for -s with certificates; Debian's 9.2 cannot, so the
# request is built here and sent with tests/helpers/agent-raw
hex() { od -An -tx1 | tr -d ' \n'; }
str() { printf '%08x%s' $((${#1} / 2)) "$1"; }	# HEX as an ssh string
ssh-keygen -q -t ed25519 -N '' -C userca -f "$T/userca"
ssh-keygen -q -s "$T/userca" -I tokencert -n "$(id -un)" "$T/ecdsa256.pub" 2>/dev/null
CERT=$(cut -d' ' -f2 "$T/ecdsa256-cert.pub" | base64 -d | hex)
add_certs() {	# CERTS_ONLY(00|01) CERT-HEX...: message 26, the PIN, the certs
	local only=$1 c certs=
	shift
	for c in "$@"; do certs=$certs$(str "$c"); done
	"$RAW" -n 1 -w 60000 "f:1a$(printf %s "$P11MOD" | hex | { read -r h; str "$h"; })$(str "$(printf 123456 | hex)")ff$(str "$(printf associated-certs-v00@openssh.com | hex)")$only$(str "$certs")"
}
start_agent
is "message 26 with a certificate for a token key: success" "$(add_certs 00 "$CERT")" 06
is "the five keys and the certificate are listed" "$(ssh-add -l | wc -l)" 6
like "the certificate among them" "$(ssh-add -L)" "ecdsa-sha2-nistp256-cert-v01@openssh.com"
ok "ssh-add -T signs with the certificate" ssh-add -T "$T/ecdsa256-cert.pub"
echo "cert-authority $(cat "$T/userca.pub")" >>"$T/A/authorized_keys"
is "ssh logs in with the token key's certificate" \
	"$(ssh -F "$T/hconfig" -o "IdentityFile=$T/ecdsa256-cert.pub" A echo in </dev/null)" in
like "sshd saw the certificate" "$(grep 'Accepted publickey' "$T/A/sshd.log" | tail -n 1)" \
	"ECDSA-CERT .* ID tokencert"
ssh-add -q -e "$P11MOD"
is "certs_only: success" "$(add_certs 01 "$CERT")" 06
is "certs_only: only the certificate is listed" "$(ssh-add -L | cut -d' ' -f1)" \
	"ecdsa-sha2-nistp256-cert-v01@openssh.com"
ssh-add -q -e "$P11MOD"
ssh-keygen -q -t ecdsa -N '' -f "$T/other"
ssh-keygen -q -s "$T/userca" -I other -n "$(id -un)" "$T/other.pub" 2>/dev/null
is "certs_only with a certificate of no token key: refused" \
	"$(add_certs 01 "$(cut -d' ' -f2 "$T/other-cert.pub" | base64 -d | hex)")" 05
is "nothing added" "$(ssh-add -l 2>&1)" "The agent has no identities."
is "a plain key where a certificate belongs: refused" \
	"$(add_certs 00 "$(cut -d' ' -f2 "$T/other.pub" | base64 -d | hex)")" 05
ok "the agent lives" agent_alive
stop_agent

# 13. two tokens behind the module: each gets the PIN once; a token that
# refuses it is left out (and said), the other's keys are added
softhsm2-util --init-token --free --label other --pin 111111 --so-pin 12345678 \
	>/dev/null || bail "softhsm2-util --init-token other"
ssh-keygen -q -t ecdsa -N '' -m PKCS8 -f "$T/other2" || bail keygen
softhsm2-util --import "$T/other2" --token other --label other2 --id 09 \
	--pin 111111 >/dev/null || bail "softhsm2-util --import other2"
start_agent
ok "two tokens, the first one's PIN: ssh-add -s" ssh-add -q -s "$P11MOD" </dev/null
is "the first token's keys are added" "$(keys_listed)" "$(all_pubs)"
like "the other token refused the PIN, said once" \
	"$(grep 'login failed' "$T/agent.log")" '^skagent-pkcs11-helper: token "other": login failed: wrong PIN$'
ssh-add -q -e "$P11MOD"
echo 111111 >"$T/pin"
ok "the other's PIN: ssh-add -s" ssh-add -q -s "$P11MOD" </dev/null
is "its key is added" "$(keys_listed)" "$(cut -d' ' -f1-2 "$T/other2.pub")"
echo 123456 >"$T/pin"
stop_agent
softhsm2-util --delete-token --token other >/dev/null

# 14. OpenSSH's own agent, for comparison: the same keys, the same answers
# (OpenSSH 9.2 skips Ed25519 keys; 10.1 lists them as we do)
SSH_AUTH_SOCK=$T/stock.sock
bg ssh-agent -D -a "$SSH_AUTH_SOCK" >/dev/null 2>>"$T/stock.log"
wait_for 10 test -S "$SSH_AUTH_SOCK" || bail "ssh-agent"
ok "stock ssh-agent: ssh-add -s" ssh-add -q -s "$P11MOD" </dev/null
is "it lists the same RSA and ECDSA keys" "$(keys_listed | grep -v ed25519)" \
	"$(all_pubs | grep -v ed25519)"
ok "it signs with them (ssh-add -T)" ssh-add -T "$T/rsa2048.pub" "$T/ecdsa521.pub"
fails "it refuses a second ssh-add -s too" ssh-add -s "$P11MOD" </dev/null
# its helper stopped: one signature waits, and so does every other client.
# The agent waits in read(2) for the helper's answer: its /proc syscall
# number is read's (as this cut's own is while it reads it).
STOCK_PID=$BG_PID
kill -STOP "$(pgrep -P "$STOCK_PID" -f ssh-pkcs11-helper)"
ssh-add -T "$T/rsa2048.pub" >/dev/null 2>&1 &
tpid=$!
read_nr=$(cut -d' ' -f1 /proc/self/syscall)
ok "the stock agent waits for its helper's answer" wait_for 10 \
	sh -c '[ "$(cut -d" " -f1 "/proc/$1/syscall")" = "$2" ]' sh "$STOCK_PID" "$read_nr"
timeout 2 ssh-add -l >/dev/null 2>&1
is "a stopped helper stalls OpenSSH's whole agent (ssh-add -l waits)" "$?" 124
kill -CONT "$(pgrep -P "$STOCK_PID" -f ssh-pkcs11-helper)"
wait "$tpid"
ok "ssh-add -e" ssh-add -q -e "$P11MOD"
done_testing
