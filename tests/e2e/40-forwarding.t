#!/bin/bash
# Safe agent forwarding with stock OpenSSH: ssh-add -h restrictions,
# enforced through the session-bind@openssh.com binds ssh sends; keys
# listed and usable only along the hops named; the websafe rule for sk
# keys; malformed binds refused; confirm prompts that name the forwarding.
. "$(dirname "$0")/lib.sh"

for h in A B C; do
	start_sshd "$h" "AllowAgentForwarding yes"
	eval "PORT_$h=$SSHD_PORT"
done
# A config of our own: HostKeyAlias makes known_hosts name the hosts A, B,
# C, as ssh-add -h wants them.
: >"$T/fwd_known"
for h in A B C; do
	eval "p=\$PORT_$h"
	echo "$h $(cat "$T/$h/host_ed25519.pub")" >>"$T/fwd_known"
	cat >>"$T/fwd_config" <<-CONF
	Host $h
	  HostName 127.0.0.1
	  Port $p
	  HostKeyAlias $h
	  User $(id -un)
	  UserKnownHostsFile $T/fwd_known
	  StrictHostKeyChecking yes
	  BatchMode yes
	  IdentityFile $T/no-such-identity
	  PasswordAuthentication no
	  ConnectTimeout 10
	  LogLevel ERROR
	CONF
done
me=$(id -un)
S="ssh -F $T/fwd_config"
start_agent
gen() { ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$T/$1" || bail keygen; }
gen toA; gen toB; gen AtoB; gen free
for h in A B C; do
	cat "$T/toA.pub" "$T/toB.pub" "$T/AtoB.pub" "$T/free.pub" >>"$T/$h/authorized_keys"
done
add() { ssh-add -q -H "$T/fwd_known" "$@"; }
ok "ssh-add -h A" add -h A "$T/toA"
ok "ssh-add -h B" add -h B "$T/toB"
ok "ssh-add -h A -h A>B" add -h A -h "A>$me@B" "$T/AtoB"
ok "an unrestricted key" ssh-add -q "$T/free"
is "locally (no binds) every key is listed" "$(ssh-add -l | wc -l)" 4
only() { echo "-o IdentitiesOnly=yes -o IdentityFile=$T/$1.pub"; }

is "a key restricted to A logs in to A" "$($S $(only toA) A echo in)" in
fails "a key restricted to A cannot log in to B" $S $(only toA) B true
is "a key restricted to B logs in to B" "$($S $(only toB) B echo in)" in
fails "a key restricted to B cannot log in to A" $S $(only toB) A true

# through A, with the agent forwarded
listing=$($S -A A "SSH_AUTH_SOCK=\$SSH_AUTH_SOCK ssh-add -l" 2>&1)
like "forwarded to A: the A>B key is listed there" "$listing" "AtoB"
like "forwarded to A: the unrestricted key is listed" "$listing" "free"
fails "forwarded to A: the key only for A is not" grep -qw toA <<<"$listing"
fails "forwarded to A: the key only for B is not" grep -qw toB <<<"$listing"
is "A>B key: from A, with the forwarded agent, logs in to B" \
	"$($S -A A "$S $(only AtoB) B echo in" 2>/dev/null)" in
fails "A>B key: from A, not to C" $S -A A "$S $(only AtoB) C true"
fails "key for B only: not usable from A (forwarded)" $S -A A "$S $(only toB) B true"
is "an unrestricted key works anywhere" "$($S -A A "$S $(only free) C echo in" 2>/dev/null)" in
fails "A>B key forwarded past its last hop (A, B, then C): refused" \
	$S -A A "$S -A $(only AtoB) B '$S $(only AtoB) C true'"

# arbitrary data: a restricted key signs only logins, as OpenSSH's agent
echo data >"$T/msg"
fails "locally (unbound) the A>B key signs no SSHSIG (as OpenSSH)" \
	ssh-keygen -q -Y sign -f "$T/AtoB.pub" -n file "$T/msg"
like "the agent says why" "$(cat "$T/agent.log")" "to sign on an unbound connection"
rm -f "$T/msg.sig"
fails "through the forwarded agent on A it signs only logins" \
	$S -A A "ssh-keygen -q -Y sign -f $T/AtoB.pub -n file $T/msg"
like "the agent says why" "$(cat "$T/agent.log")" "refusing use of a destination-constrained key to sign an unidentified signature"

# host certificates: -h with a CA (@cert-authority in known_hosts)
ssh-keygen -q -t ed25519 -N '' -C hostca -f "$T/hostca"
ssh-keygen -q -s "$T/hostca" -h -I C-host -n C "$T/C/host_ed25519.pub"
echo "HostCertificate $T/C/host_ed25519-cert.pub" >>"$T/C/sshd_config"
kill -HUP "$(cat "$T/C/sshd.pid")"
sleep 0.5
echo "@cert-authority C $(cat "$T/hostca.pub")" >>"$T/fwd_known"
gen toCcert
cat "$T/toCcert.pub" >>"$T/C/authorized_keys"
ok "ssh-add -h C where C is known by its CA" add -h C "$T/toCcert"
is "a key restricted by host CA logs in to C (host certificate)" \
	"$($S -o HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com $(only toCcert) C echo in)" in
fails "and not to A" $S $(only toCcert) A true

# malformed binds: refused, the connection and the agent go on
is "a bind with a bad signature is refused (SSH_AGENT_EXTENSION_FAILURE)" "$("$RAW" -n 2 \
	f:1b0000001873657373696f6e2d62696e64406f70656e7373682e636f6d0000000b000000077373682d6e6f6e65000000010100000001ff00 \
	f:0b | head -1)" 1c
ok "the agent goes on" ssh-add -l

# websafe: a security key whose application is not ssh: signs only SSH
# logins and SSHSIG blobs (a forwarded agent must not sign web logins)
bg "$SOFTTOKEN" --socket "$T/tok" 2>/dev/null
wait_for 10 test -S "$T/tok" || bail softtoken
stop_agent
start_agent --token "unix:$T/tok"
"$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" -W -a "https://example.com" \
	-c web >"$T/web.pub" || bail enroll web
"$KEYGEN" -q -f "$T/sshsk" -N '' -C sshsk --token "unix:$T/tok" </dev/null &&
	ssh-add -q "$T/sshsk" 2>/dev/null || bail enroll
sign_raw() {	# PUBFILE: a sign request over 16 bytes that are no SSH message
	local blob len
	blob=$(cut -d' ' -f2 "$1" | base64 -d | od -An -tx1 | tr -d ' \n')
	len=$(printf '%08x' $((${#blob} / 2)))
	"$RAW" -n 1 "f:0d${len}${blob}0000001000112233445566778899aabbccddeeff00000000" | cut -c1-2
}
is "web-origin sk key: a non-SSH message is refused" "$(sign_raw "$T/web.pub")" 05
like "the log says why" "$(cat "$T/agent.log")" "web-origin key"
ok "web-origin sk key: an SSHSIG blob is signed (ssh-keygen -Y)" \
	ssh-keygen -q -Y sign -f "$T/web.pub" -n file "$T/msg"
rm -f "$T/msg.sig"
is "an ssh: sk key signs any data" "$(sign_raw "$T/sshsk.pub")" 0e
stop_agent
start_agent --token "unix:$T/tok" -O no-restrict-websafe
"$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" -W -a "https://example.com" \
	-c web >"$T/web.pub" || bail enroll web
is "-O no-restrict-websafe: the web-origin key signs it" "$(sign_raw "$T/web.pub")" 0e
stop_agent
start_agent --token "unix:$T/tok" -O "websafe-allow=ssh:*,https://example.com"
"$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" -W -a "https://example.com" \
	-c web >"$T/web.pub" || bail enroll web
is "-O websafe-allow= names it: signed" "$(sign_raw "$T/web.pub")" 0e
ssh-add -q "$T/sshsk" 2>/dev/null || bail "ssh-add sshsk"
is "  an ssh: key too (the list names ssh:*)" "$(sign_raw "$T/sshsk.pub")" 0e
stop_agent
start_agent --token "unix:$T/tok" -O "websafe-allow=https://*,!https://evil.*"
"$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" -W -a "https://example.com" \
	-c web >"$T/web.pub" || bail enroll web
ssh-add -q "$T/sshsk" 2>/dev/null || bail "ssh-add sshsk"
is "-O websafe-allow= replaces ssh:* (as OpenSSH 10.0): an ssh: key is refused" \
	"$(sign_raw "$T/sshsk.pub")" 05
is "  the web key it names signs" "$(sign_raw "$T/web.pub")" 0e
"$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" -W -a "https://evil.example" \
	-c evil >"$T/evil.pub" || bail enroll evil
is "  one a '!' pattern excludes does not" "$(sign_raw "$T/evil.pub")" 05

# confirm prompts name the forwarding (OpenSSH leaves this as a to-do)
stop_agent
cat >"$T/askpass" <<'AP'
#!/bin/sh
printf '%s\n---\n' "$1" >>"$ASKPASS_LOG"
echo yes
AP
chmod +x "$T/askpass"
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_LOG=$T/prompts \
	start_agent
ssh-add -q -c "$T/free"
$S -A A "$S $(only free) B true" >/dev/null 2>&1
like "the confirm prompt says the request came through a forwarded agent" \
	"$(cat "$T/prompts" 2>/dev/null)" "FORWARDED"
stop_agent
: >"$T/prompts"
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force ASKPASS_LOG=$T/prompts \
	start_agent -O confirm-forwarded
ssh-add -q "$T/free"
is "-O confirm-forwarded: a direct login asks nothing" "$($S $(only free) A echo in)" in
is "no prompt for it" "$(wc -c <"$T/prompts")" 0
$S -A A "$S $(only free) B true" >/dev/null 2>&1
like "a forwarded use is confirmed first" "$(cat "$T/prompts")" "Allow use of key free"
ok "the agent survived" agent_alive
done_testing
