#!/bin/bash
# Seeds for tests/fuzz/fuzz-attest: agent-keygen -O challenge= -O
# write-attestation= on the software token, self attestation (both key
# types) and full attestation with a certificate (openssl), each prefixed
# with its key's public blob and its challenge as ssh strings.  Writes
# tests/fuzz/corpus/attest; run from the top of the tree after make.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
C=$TOP/tests/fuzz/corpus/attest
rm -rf "${C:?}"
mkdir -p "$C"
str() { perl -e 'local $/; my $d = <STDIN>; print pack("N/a*", $d)'; }
seed() {	# NAME KEY
	{
		cut -d' ' -f2 "$2.pub" | base64 -d | str
		str <"$T/challenge"
		cat "$2.att"
	} >"$C/$1"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/O=Seed Vendor/CN=Seed Attestation" -days 3650 \
	-keyout "$T/att.key" -out "$T/att.crt" 2>/dev/null
start_token self
start_token full --attest-key "$T/att.key" --attest-cert "$T/att.crt"
printf 'seed challenge\n' >"$T/challenge"
for t in ed25519-sk ecdsa-sk; do
	for tok in self full; do
		"$KEYGEN" -q -t "$t" -f "$T/$tok-$t" -N '' -O "challenge=$T/challenge" \
			-O "write-attestation=$T/$tok-$t.att" --token "unix:$T/$tok.tok" </dev/null
		seed "$tok-$t" "$T/$tok-$t"
	done
done
ls -l "$C"
