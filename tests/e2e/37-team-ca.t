#!/bin/bash
# A team with certificates instead of keys copied to every host (README,
# "A team: certificates"): the team's CA key is itself a security key,
# held in the administrator's skagent; a colleague enrolls a key with a
# challenge from the administrator and sends back the .pub and the
# attestation; the administrator checks the attestation against the
# vendor's root (agent-token attest) and only then signs a certificate
# with stock ssh-keygen -s ca.pub -U through the agent, a touch per
# certificate; a test sshd trusts the CA (TrustedUserCAKeys) and has no
# authorized_keys; the colleague loads key and certificate with ssh-add
# and logs in.
. "$(dirname "$0")/lib.sh"

TOKEN=$AGENT_TOKEN
[ -x "$TOP/tools/agent-token" ] || bail "no agent-token: run make"
cd "$T" || bail cd
me=$(id -un)

# the vendor that made the colleagues' keys: a root and an attestation
# certificate (softtoken --attest-key plays the hardware)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/O=Test Vendor/CN=Test Vendor FIDO Root CA" -days 30 \
	-keyout vendor.key -out vendor.crt 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/O=Test Vendor/OU=Authenticator Attestation/CN=Batch 1" \
	-keyout att.key -out att.csr 2>/dev/null &&
openssl x509 -req -in att.csr -CA vendor.crt -CAkey vendor.key -days 30 \
	-out att.crt 2>/dev/null || bail "openssl: the vendor's certificates"

# 1. The administrator's security key holds the CA key; their skagent has it.
start_token admin
ADMIN_PID=$TOK_PID
"$KEYGEN" -q -t ed25519-sk -f ca -N '' -C "team CA" --token "unix:$T/admin.tok" </dev/null ||
	bail "agent-keygen: the CA key"
is "the CA key is a security key" "$(cut -d' ' -f1 ca.pub)" sk-ssh-ed25519@openssh.com
start_agent --token "unix:$T/admin.tok"
ok "it is in the administrator's agent" ssh-add -q ca
rm ca	# the private file is only a key handle; the agent has what it needs

# 2. Alice enrolls on her key, with the administrator's challenge.
start_token alice --attest-key att.key --attest-cert att.crt
head -c 32 /dev/urandom >alice.challenge
"$KEYGEN" -q -f alice -N '' -C alice -O challenge=alice.challenge \
	-O write-attestation=alice.att --token "unix:$T/alice.tok" </dev/null ||
	bail "agent-keygen: alice's key"
# Mallory sends a key made in software, with an attestation that signs itself
start_token soft
"$KEYGEN" -q -f mallory -N '' -O challenge=alice.challenge \
	-O write-attestation=mallory.att --token "unix:$T/soft.tok" </dev/null ||
	bail "agent-keygen: mallory's key"

# 3. The administrator checks the attestation first, then signs.
issue() {	# NAME: attestation checked, then a certificate for NAME
	"$TOKEN" attest --ca vendor.crt --challenge alice.challenge \
		"$1.pub" "$1.att" >"$1.check" 2>&1 &&
	ssh-keygen -q -s ca.pub -U -I "$1@team" -n "$me" -V +1h "$1.pub"
}
touches() { grep -c "getAssertion: waiting for touch" "$T/admin.log"; }
before=$(touches)
ok "alice: the attestation chains to the vendor, the certificate is issued" issue alice ||
	diag_file alice.check
is "  one touch on the CA's security key" "$(($(touches) - before))" 1
like "  ssh-keygen -L: signed by the security-key CA, for $me" \
	"$(ssh-keygen -L -f alice-cert.pub)" \
	"Signing CA: ED25519-SK $(ssh-keygen -lf ca.pub | cut -d' ' -f2) .*
.*
.*Principals: *
 *$me"
fails "mallory: refused before anything is signed" issue mallory
like "  saying why" "$(cat mallory.check)" "cannot chain to a CA"
ok "  no certificate" test ! -e mallory-cert.pub
kill -USR1 "$ADMIN_PID"
cp alice.pub carol.pub
cp alice.att carol.att
fails "the CA key signs nothing without a touch" issue carol
kill -USR1 "$ADMIN_PID"
ok "  no certificate" test ! -e carol-cert.pub

# 4. The host trusts the CA and nothing else.
start_sshd host "TrustedUserCAKeys $T/ca.pub"
is "the host's authorized_keys is empty" "$(wc -c <"$T/host/authorized_keys")" 0

# 5. Alice: her own agent, key and certificate with ssh-add, then ssh.
start_agent --token "unix:$T/alice.tok"
out=$(ssh-add alice 2>&1)
like "ssh-add loads the key and its certificate" "$out" "Certificate added: alice-cert.pub \(alice@team\)"
is "  both listed" "$(ssh-add -l | grep -c alice)" 2
SSH_OPTS=(-o IdentitiesOnly=no)
is "alice logs in: no agent-copy-id, no authorized_keys" "$(ssh_to host echo in)" in
like "  sshd says by which certificate" "$(cat "$T/host/sshd.log")" \
	"Accepted publickey for $me .* ED25519-SK-CERT SHA256:.* ID alice@team \(serial 0\) CA ED25519-SK"
ssh-add -D -q
cp alice alice-only	# no alice-only-cert.pub beside it
ssh-add -q alice-only 2>/dev/null
is "  with the key alone (no certificate)" "$(ssh-add -l | grep -c CERT)" 0
fails "  the host lets her in no more" ssh_to host true
"$KEYGEN" -q -f bob -N '' --token "unix:$T/alice.tok" </dev/null
ssh-add -D -q
ssh-add -q bob
fails "a key without a certificate: refused" ssh_to host true

done_testing
