#!/bin/bash
# Seeds for the lib/ fuzz harnesses, from real programs: keys, certificates,
# key files and signatures made by stock ssh-keygen (security-key keys by
# agent-keygen on the software token, signed through skagent), the
# ADD_IDENTITY requests stock ssh-add sends, and the answers of stock
# ssh-agent and of skagent.  Writes tests/fuzz/corpus/{keyblob,publine,
# keypriv,keyfile,sig,authkeys,agentclient}; run from the top of the tree
# after make all-tests.  (fuzz-agent's seeds: record-seeds.sh.)
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
C=$TOP/tests/fuzz/corpus
for d in keyblob publine keypriv keyfile sig authkeys agentclient; do
	rm -rf "${C:?}/$d"
	mkdir -p "$C/$d"
done
unhex() { perl -ne 'chomp; print pack("H*", $_)'; }
# the binary of a .pub line (its second field)
blob() { cut -d' ' -f2 "$1" | base64 -d; }
K=$T/keys
mkdir -p "$K"

# keys: small RSA keeps the seeds small
ssh-keygen -q -t ed25519 -N '' -C "seed ed25519" -f "$K/ed25519"
for b in 256 384 521; do
	ssh-keygen -q -t ecdsa -b $b -N '' -C "seed ecdsa$b" -f "$K/ecdsa$b"
done
ssh-keygen -q -t rsa -b 1024 -N '' -C "seed rsa" -f "$K/rsa"
# security keys: made on a software token, handed to skagent as ssh-add
# does (tests/helpers/sk-enroll); what it sends is recorded below
bg "$SOFTTOKEN" --socket "$T/tok" --state "$T/tok.state" 2>>"$T/tok.log"
wait_for 10 test -S "$T/tok" || bail softtoken
start_agent --token "unix:$T/tok"
AGENT_SOCK=$SSH_AUTH_SOCK
rm -f "$T/rec.sock"
"$TOP/tests/helpers/agent-record" "$T/rec.sock" "$AGENT_SOCK" "$T/adds" &
rec=$!
wait_for 5 test -S "$T/rec.sock"
SSH_AUTH_SOCK=$T/rec.sock "$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" \
	-c "seed sk-ed25519" >"$K/sk_ed25519.pub"
SSH_AUTH_SOCK=$T/rec.sock "$TOP/tests/helpers/sk-enroll" -d "unix:$T/tok" \
	-t ecdsa-sk -n -c "seed sk-ecdsa" >"$K/sk_ecdsa.pub"
# certificates: each kind of CA, user and host, principals and options
ssh-keygen -q -t ed25519 -N '' -C ca -f "$K/ca_ed25519"
ssh-keygen -q -t rsa -b 1024 -N '' -C ca -f "$K/ca_rsa"
ssh-keygen -q -t ecdsa -b 384 -N '' -C ca -f "$K/ca_ecdsa"
ssh-keygen -q -s "$K/ca_ed25519" -I user -n alice,bob -V +52w \
	-O force-command=/bin/true -O source-address=127.0.0.1/32 \
	"$K/ed25519.pub"
ssh-keygen -q -s "$K/ca_rsa" -I host -h -n host.example "$K/ecdsa256.pub"
ssh-keygen -q -s "$K/ca_ecdsa" -I rsa -n carol -O no-pty "$K/rsa.pub"
ssh-keygen -q -s "$K/ca_ed25519" -I sk -n dave -O no-touch-required \
	"$K/sk_ecdsa.pub"
pubs=$(ls "$K"/*.pub)

for p in $pubs; do
	n=$(basename "$p" .pub)
	blob "$p" >"$C/keyblob/$n"
	cp "$p" "$C/publine/$n"
done

# key files: plain, and encrypted (passphrase "secret", 1 or 2 rounds)
for n in ed25519 ecdsa256 rsa; do
	cp "$K/$n" "$C/keyfile/$n"
done
for c in aes256-ctr aes128-cbc 3des-cbc aes256-gcm@openssh.com \
    chacha20-poly1305@openssh.com; do
	f=$T/enc-${c%%@*}
	ssh-keygen -q -t ed25519 -a 2 -Z "$c" -N secret -C "cipher $c" -f "$f"
	cp "$f" "$C/keyfile/ed25519-${c%%@*}"
done
ssh-keygen -q -t ecdsa -a 1 -N secret -C "ecdsa, 1 round" -f "$T/enc-ecdsa"
cp "$T/enc-ecdsa" "$C/keyfile/ecdsa256-aes256-ctr"

# what ssh-add sends: ADD_IDENTITY bodies (the type byte removed), keys
# with and without certificates and constraints
for n in ed25519 ecdsa384 ecdsa521 rsa; do
	SSH_AUTH_SOCK=$T/rec.sock ssh-add -q "$K/$n" 2>/dev/null
done
SSH_AUTH_SOCK=$T/rec.sock ssh-add -q -t 600 "$K/ecdsa256" 2>/dev/null
sleep 0.2
kill $rec
wait $rec 2>/dev/null || true
# records (u8 conn, u8 flags, u16 len, bytes) to frames, per connection
perl -e '
	local $/; my $d = <STDIN>; my (%s, $i);
	while (length $d >= 4) {
		my ($c, $f, $l) = unpack("CCn", $d);
		$s{$c} .= substr($d, 4, $l); $d = substr($d, 4 + $l);
	}
	for my $c (sort keys %s) {
		my $b = $s{$c};
		while (length $b >= 4) {
			my $l = unpack("N", $b);
			my $m = substr($b, 4, $l); $b = substr($b, 4 + $l);
			my $t = ord $m;
			next unless $t == 17 || $t == 25;
			open(my $o, ">", sprintf("%s/add-%02d", $ARGV[0], $i++)) or die;
			print $o substr($m, 1); close $o;
		}
	}' "$C/keypriv" <"$T/adds"

# signatures: ssh-keygen -Y sign of "signed message\n", armour removed
printf 'signed message\n' >"$T/msg"
sig() {	# NAME SSH-KEYGEN-ARGS...
	local n=$1
	shift
	rm -f "$T/msg.sig"
	ssh-keygen -q -Y sign -n file "$@" "$T/msg" </dev/null
	sed -e '1d' -e '$d' "$T/msg.sig" | base64 -d >"$C/sig/$n"
}
for n in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa; do
	sig "$n" -f "$K/$n"
done
sig rsa-sha256 -f "$K/rsa" -O hashalg=sha256
# security keys sign through the agent (it holds them from the adds above)
sig sk_ed25519 -f "$K/sk_ed25519.pub"
sig sk_ecdsa -f "$K/sk_ecdsa.pub"

# authorized_keys lines as agent-copy-id meets them
line() { cut -d' ' -f1,2 "$K/$1.pub"; }
{
	cat "$K/ed25519.pub"
	echo "no-pty,command=\"echo \\\"hi\\\"\",from=\"10.0.0.1,*.example\" $(line rsa) a comment"
	echo "restrict,pty $(line ecdsa256)"
	echo "cert-authority,principals=\"alice,bob\" $(line ca_ed25519) ca"
	echo "@cert-authority $(line ca_rsa)"
	echo "@revoked $(line ecdsa384) old"
	echo "no-touch-required,verify-required $(line sk_ed25519)"
	echo "  $(line sk_ecdsa)	tabbed comment  "
	echo "# a comment"
	echo "environment=\"A=b c\",expiry-time=\"20300101\" $(line ecdsa521)"
} >"$T/authorized_keys"
i=0
while IFS= read -r l; do
	printf '%s\n' "$l" >"$C/authkeys/line-$i"
	i=$((i + 1))
done <"$T/authorized_keys"
# option texts alone and expiry times (the same harness reads them so)
i=0
for o in 'restrict,pty,command="echo \"a b\"",from="!10.0.0.0/8,*.example"' \
    'no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc,,' \
    'permitopen="[::1]:22",permitlisten="8080",tunnel="any",environment="A=b"' \
    'cert-authority,principals="a,b",expiry-time="20300101Z"' \
    'no-touch-required,touch-required,verify-required,no-verify-required' \
    '203001021234UTC' '20300102123456z'; do
	printf '%s' "$o" >"$C/authkeys/opts-$i"
	i=$((i + 1))
done

# answers to REQUEST_IDENTITIES: skagent's (it holds the keys and
# certificates added above) and stock ssh-agent's; key-info's data
"$RAW" -n 1 f:0b | unhex >"$C/agentclient/skagent-identities"
# 1d, string "key-info@skagent.org", then the data
"$RAW" -n 1 f:1b000000146b65792d696e666f40736b6167656e742e6f7267 | unhex |
	tail -c +26 >"$C/agentclient/skagent-key-info"
bg ssh-agent -D -a "$T/stock.sock"
wait_for 10 test -S "$T/stock.sock" || bail ssh-agent
for n in ed25519 ecdsa384 rsa; do
	SSH_AUTH_SOCK=$T/stock.sock ssh-add -q "$K/$n" 2>/dev/null
done
"$RAW" -s "$T/stock.sock" -n 1 f:0b | unhex >"$C/agentclient/ssh-agent-identities"
"$RAW" -s "$T/stock.sock" -n 1 f:05 | unhex >"$C/agentclient/ssh-agent-failure"

du -sh "$C"/{keyblob,publine,keypriv,keyfile,sig,authkeys,agentclient}
