#!/bin/bash
# agent-token attest: attestations agent-keygen wrote on software tokens
# (self attestation, and full attestation under a test vendor's CA made
# with openssl), checked for the right key and challenge, and refused,
# one line saying what, when altered, another key's, made for another
# challenge or application, or chained to the wrong CA.  Stock ssh-keygen
# writes the same format through the softtoken provider: checked too.
. "$(dirname "$0")/lib.sh"

TOKEN=$AGENT_TOKEN
[ -x "$TOP/tools/agent-token" ] || bail "no agent-token: run make"
cd "$T" || bail cd

# a vendor: root CA, attestation certificate with FIDO's AAGUID extension
# (filled in once the token's AAGUID is known); another vendor's root
ca() {	# NAME SUBJECT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "$2" -days 30 -keyout "$1.key" -out "$1.crt" 2>/dev/null
}
ca vendor "/O=Test Vendor/CN=Test Vendor FIDO Root CA"
ca other "/O=Other Vendor/CN=Other Root"
start_token full	# once, for its state file's AAGUID
kill "$TOK_PID" && wait "$TOK_PID" 2>/dev/null
aaguid=$(sed -n 's/^aaguid //p' "$T/full.state")
att_cert() {	# NAME AAGUID-HEX
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/O=Test Vendor/OU=Authenticator Attestation/CN=$1" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null &&
	printf '1.3.6.1.4.1.45724.1.1.4=DER:0410%s\nbasicConstraints=CA:FALSE\n' "$2" >"$1.ext" &&
	openssl x509 -req -in "$1.csr" -CA vendor.crt -CAkey vendor.key -days 30 \
		-extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
att_cert att "$aaguid" || bail "openssl: attestation certificate"
att_cert wrongaaguid "00112233445566778899aabbccddeeff" || bail openssl
start_token full --attest-key att.key --attest-cert att.crt
start_token self
start_token wrong --attest-key wrongaaguid.key --attest-cert wrongaaguid.crt

head -c 32 /dev/urandom >chal
head -c 32 /dev/urandom >chal2
enroll() {	# NAME TOKEN [keygen args]
	local n=$1 t=$2
	shift 2
	"$KEYGEN" -q -f "$n" -N '' -O challenge=chal -O "write-attestation=$n.att" \
		--token "unix:$T/$t.tok" "$@" </dev/null
}
enroll ed full || bail "agent-keygen on token full"
enroll ec full -t ecdsa-sk -O application=ssh:work || bail "agent-keygen ecdsa-sk"
enroll selfed self || bail "agent-keygen on token self"
enroll waa wrong || bail "agent-keygen on token wrong"
att() { "$TOKEN" attest "$@" 2>&1; }
quiet() { "$TOKEN" attest "$@" >/dev/null 2>&1; }
fp() { ssh-keygen -lf "$1" | cut -d' ' -f2; }

out=$(att --ca vendor.crt --challenge chal ed.pub ed.att)
is "full attestation, the vendor's root: exit 0" "$?" 0
is "  says what it checked" "$out" \
"ed.pub: good attestation: $(fp ed.pub) ED25519-SK ssh:
  authenticator: AAGUID ${aaguid:0:8}-${aaguid:8:4}-${aaguid:12:4}-${aaguid:16:4}-${aaguid:20}
  flags:         user present, counter 1
  certificate:   CN=att,OU=Authenticator Attestation,O=Test Vendor
  issuer:        CN=Test Vendor FIDO Root CA,O=Test Vendor
  chain:         to CN=Test Vendor FIDO Root CA,O=Test Vendor in vendor.crt"
is "  openssl agrees on the subject" \
	"$(openssl x509 -in att.crt -noout -subject -nameopt RFC2253)" \
	"subject=CN=att,OU=Authenticator Attestation,O=Test Vendor"
ok "an ecdsa-sk key for ssh:work" quiet --ca vendor.crt --challenge chal ec.pub ec.att
ok "without --ca: the signature and the key alone" quiet --challenge chal ed.pub ed.att
cat other.crt vendor.crt >bundle.pem
ok "a bundle of roots holding the vendor's" quiet --ca bundle.pem --challenge chal ed.pub ed.att
ok "the private key file names the key as well as the .pub" quiet --challenge chal ed ed.att

refused() {	# DESCRIPTION WANT-REGEX ARGS...
	local d=$1 want=$2 out st
	shift 2
	out=$(att "$@")
	st=$?
	is "$d: exit 1" "$st" 1
	like "  one line saying what" "$out" "^agent-token: $want\$"
}
refused "the wrong CA" "ed.att: the certificate does not chain to a CA in other.crt: unable to get local issuer certificate" \
	--ca other.crt --challenge chal ed.pub ed.att
refused "another challenge" "ed.att: the signature over the authenticator data and the challenge does not verify .*" \
	--challenge chal2 ed.pub ed.att
refused "another key's attestation" "ec.att: the attested credential is another key|ec.att: the attestation is for an ECDSA-SK key, the key is ED25519-SK" \
	--challenge chal ed.pub ec.att
enroll ed2 full || bail enroll
refused "another key of the same type" "ed2.att: the attested credential is another key" \
	--challenge chal ed.pub ed2.att
# the same public key with application "ssh:" instead of "ssh:work"
perl -MMIME::Base64 -e 'my ($t, $b64) = split(" ", <STDIN>); my $d = decode_base64($b64);
	my ($ty, $c, $q) = unpack("N/a* N/a* N/a*", $d);
	print "$t ", encode_base64(pack("N/a* N/a* N/a* N/a*", $ty, $c, $q, "ssh:"), ""), "\n"' \
	<ec.pub >ec-app.pub
refused "the same key for another application" "ec.att: the attestation is for another application than the key.s \(ssh:\)" \
	--challenge chal ec-app.pub ec.att
# alter one byte of the authenticator data (its counter), then of the signature
perl -e 'local $/; my $d = <STDIN>; my ($m, $c, $s, $a, $rest) = unpack("N/a* N/a* N/a* N/a* a*", $d);
	substr($a, 2 + 36, 1) ^= "\x01"; print pack("N/a* N/a* N/a* N/a* a*", $m, $c, $s, $a, $rest)' \
	<ed.att >tampered.att
refused "altered authenticator data" "tampered.att: the signature over the authenticator data .*" \
	--challenge chal ed.pub tampered.att
perl -e 'local $/; my $d = <STDIN>; substr($d, -20, 1) ^= "\x01"; print $d' <ed.att >badtail.att
refused "a flipped byte near the end" "badtail.att: .*" --challenge chal ed.pub badtail.att
head -c 100 ed.att >short.att
refused "a truncated file" "short.att: the attestation is truncated or has trailing data" \
	--challenge chal ed.pub short.att
refused "not an attestation" "ed.pub: not an ssh-sk-attest-v01 attestation .*" \
	--challenge chal ed.pub ed.pub
refused "a self attestation with --ca" "selfed.att: a self attestation \(no certificate\) cannot chain to a CA" \
	--ca vendor.crt --challenge chal selfed.pub selfed.att
refused "a certificate for another model (AAGUID extension)" \
	"waa.att: the certificate is for authenticators 00112233-4455-6677-8899-aabbccddeeff, the authenticator data says .*" \
	--ca vendor.crt --challenge chal waa.pub waa.att
out=$(att --challenge chal selfed.pub selfed.att)
is "a self attestation without --ca: exit 0" "$?" 0
like "  saying nothing vouches for the hardware" "$out" "certificate:   none: self attestation"

# stock ssh-keygen, through the softtoken provider, writes the same format
SKPROV=$TOP/tests/sk-provider/libsk-softtoken.so
if [ -f "$SKPROV" ]; then
	SKA_SOFTTOKEN=$T/full.tok ssh-keygen -q -t ed25519-sk -w "$SKPROV" \
		-O challenge=chal -O write-attestation=stock.att -N '' -f stock </dev/null
	ok "ssh-keygen's own attestation checks out" quiet --ca vendor.crt --challenge chal stock.pub stock.att
else
	skip "no $SKPROV: run make all-tests"
fi

usage() { "$TOKEN" attest "$@" >/dev/null 2>&1; echo $?; }
is "attest without --challenge: usage, exit 2" "$(usage ed.pub ed.att)" 2
is "attest with one file: exit 2" "$(usage --challenge chal ed.pub)" 2
is "an unknown command: exit 2" "$("$TOKEN" frob >/dev/null 2>&1; echo $?)" 2
out=$(att --challenge nochal ed.pub ed.att)
is "a missing challenge file: exit 1, saying so" "$?:$out" \
	"1:agent-token: challenge nochal: No such file or directory"
ok "--help exits 0" sh -c "\"$TOKEN\" --help >/dev/null"

done_testing
