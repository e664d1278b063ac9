#!/bin/bash
# agent-keygen's security-key half on software tokens, checked by stock
# OpenSSH: ssh-keygen -y/-l read every file we write, stock ssh-add loads
# them into skagent, the agent signs (ssh-add -T, ssh-keygen -Y, sshd
# logins with no-touch-required and verify-required keys); PINs; two
# tokens; resident keys and -K (files named as ssh-keygen -K names them,
# or --add straight into the agent); attestation checked with openssl;
# touch refused and token gone; nothing overwritten without asking.
. "$(dirname "$0")/lib.sh"

[ -x "$KEYGEN" ] || bail "no $KEYGEN: run make"
export HOME=$T/home
mkdir -p "$HOME" "$T/k"
K=$T/k

stop_token() { eval "kill \$TOK_PID_$1; wait \$TOK_PID_$1"; } 2>/dev/null
start_token a
start_token b --pin 123456

# askpass for agent-keygen: records its prompt, answers with the next line
# of $T/answers (the last one again when they run out)
cat >"$T/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>"$T/askpass.log"
n=\$(wc -l <"$T/askpass.log")
sed -n "\${n}p" "$T/answers" | grep . || tail -n 1 "$T/answers"
EOF
# and for the agent (verify-required signatures): the PIN in $T/agent-pin
cat >"$T/agent-askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>"$T/agent-askpass.log"
cat "$T/agent-pin"
EOF
chmod 755 "$T/askpass" "$T/agent-askpass"
echo 123456 >"$T/agent-pin"
answers() { printf '%s\n' "$@" >"$T/answers"; : >"$T/askpass.log"; }
with_askpass() { SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force "$@"; }
keygen() { "$KEYGEN" "$@" </dev/null; }
mode() { stat -c %a "$1"; }
fp() { ssh-keygen -l -f "$1" | cut -d' ' -f2; }
printed_fp() { sed -n '/^The key fingerprint is:$/{n;p;}' "$1" | cut -d' ' -f1; }
printed_art() { sed -n '/^The key.s randomart image is:$/,/^+----\[SHA256\]/p' "$1" | sed 1d; }
has() {	# DESCRIPTION TEXT FIXED-STRING
	if printf '%s\n' "$2" | grep -qF -- "$3"; then
		_tap_result 0 "$1"
	else
		_tap_result 1 "$1"
		printf '#   text: %s\n#   lacks: %s\n' "$2" "$3"
	fi
}

# skpriv FILE: "type application flags key-handle-hex" from an unencrypted
# openssh-key-v1 file, read independently of lib/ (PROTOCOL.key, .u2f)
cat >"$T/skpriv.pl" <<'PL'
use strict; use MIME::Base64;
local $/; my $t = <>;
$t =~ s/-----(BEGIN|END) OPENSSH PRIVATE KEY-----//g;
my $d = decode_base64($t);
my ($magic, $rest) = unpack("Z* a*", $d);
die "magic\n" unless $magic eq "openssh-key-v1";
my ($ciph, $kdf, $kdfo, $n, $pub, $priv) = unpack("N/a* N/a* N/a* N N/a* N/a*", $rest);
die "encrypted\n" unless $ciph eq "none" && $n == 1;
my ($c1, $c2, $type, $f) = unpack("N N N/a* a*", $priv);
die "check\n" unless $c1 == $c2;
my ($app, $flags, $kh, $res, $comment);
if ($type eq 'sk-ssh-ed25519@openssh.com') {
	(undef, $app, $flags, $kh, $res, $comment) = unpack("N/a* N/a* C N/a* N/a* N/a*", $f);
} else {
	(undef, undef, $app, $flags, $kh, $res, $comment) = unpack("N/a* N/a* N/a* C N/a* N/a* N/a*", $f);
}
printf "%s %s 0x%02x %s\n", $type, $app, $flags, unpack("H*", $kh);
PL
skpriv() { perl "$T/skpriv.pl" "$1"; }
skflags() { skpriv "$1" | cut -d' ' -f3; }

# attest ATT PUB APPLICATION KEYHANDLE-HEX [CHALLENGE]: parses OpenSSH's
# ssh-sk-attest-v01 blob; with the challenge, openssl verifies the self
# attestation with the public key of the .pub file.  Prints "good".
cat >"$T/attest.pl" <<'PL'
use strict; use MIME::Base64; use Digest::SHA qw(sha256);
my ($att, $pubf, $app, $khhex, $chal) = @ARGV;
open(my $fh, '<:raw', $att) or die "$att: $!\n"; local $/; my $d = <$fh>;
my ($magic, $x5c, $sig, $cbor, $rflags, $rres, $extra) =
    unpack("N/a* N/a* N/a* N/a* N N/a* a*", $d);
die "magic $magic\n" unless $magic eq "ssh-sk-attest-v01";
die "reserved\n" unless $rflags == 0 && $rres eq "" && $extra eq "";
die "x5c: a soft token self-attests\n" unless $x5c eq "";
# authdata is a CBOR byte string, as fido_cred_authdata_ptr gives it
my $hd = ord(substr($cbor, 0, 1));
my ($len, $off) = $hd == 0x58 ? (ord(substr($cbor, 1, 1)), 2) :
    $hd == 0x59 ? (unpack("n", substr($cbor, 1, 2)), 3) : die "cbor\n";
die "cbor length\n" unless length($cbor) == $off + $len;
my $ad = substr($cbor, $off);
die "rpIdHash\n" unless substr($ad, 0, 32) eq sha256($app);
my $fl = ord(substr($ad, 32, 1));
die "flags $fl\n" unless ($fl & 0x41) == 0x41;	# UP, attested data
my $idlen = unpack("n", substr($ad, 53, 2));
die "credential id\n" unless unpack("H*", substr($ad, 55, $idlen)) eq $khhex;
exit(print("structure\n") ? 0 : 1) unless defined $chal;
open($fh, '<', $pubf) or die; my @p = split(' ', <$fh>);
my $blob = decode_base64($p[1]);
my ($type, $r) = unpack("N/a* a*", $blob);
my ($der, $cmd);
if ($type eq 'sk-ssh-ed25519@openssh.com') {
	my ($pk) = unpack("N/a*", $r);
	$der = pack("H*", "302a300506032b6570032100") . $pk;
	$cmd = "openssl pkeyutl -verify -pubin -inkey $att.der -keyform DER -rawin -in $att.msg -sigfile $att.sig";
} else {
	my (undef, $q) = unpack("N/a* N/a*", $r);
	$der = pack("H*", "3059301306072a8648ce3d020106082a8648ce3d030107034200") . $q;
	$cmd = "openssl dgst -sha256 -verify $att.der -keyform DER -signature $att.sig $att.msg";
}
open($fh, '<:raw', $chal) or die; my $c = <$fh>;
for (["der", $der], ["msg", $ad . sha256($c)], ["sig", $sig]) {
	open(my $o, '>:raw', "$att.$_->[0]") or die; print $o $_->[1]; close($o);
}
system("$cmd >/dev/null") == 0 or die "openssl: the signature does not verify\n";
print "good\n";
PL
attest() { perl "$T/attest.pl" "$@" 2>&1; }

# 1. Both types, with and without a passphrase, on token a: stock
#    ssh-keygen reads our files and agrees on fingerprint and picture.
for t in ed25519-sk ecdsa-sk; do
	for pass in "" "pass phrase"; do
		name=${t%-sk}${pass:+_enc}
		f=$K/$name
		keygen -t "$t" -f "$f" -N "$pass" -C "comment $name" \
			--token "unix:$T/a.tok" >"$T/out" 2>"$T/err"
		is "$name: generated" "$?" 0 || diag_file "$T/err"
		is "$name: as ssh-keygen says it" "$(head -n 2 "$T/out")" \
"Generating public/private $t key pair.
You may need to touch your authenticator to authorize key generation."
		is "$name: private file mode 0600, .pub 0644" \
			"$(mode "$f") $(mode "$f.pub")" "600 644"
		is "$name: ssh-keygen -y prints our .pub" \
			"$(ssh-keygen -y -f "$f" ${pass:+-P "$pass"} 2>&1)" \
			"$(cat "$f.pub")"
		is "$name: the .pub is one line" "$(wc -l <"$f.pub")" 1
		is "$name: ssh-keygen -l agrees with our fingerprint" \
			"$(fp "$f.pub")" "$(printed_fp "$T/out")"
		is "$name: and with our randomart" \
			"$(ssh-keygen -lv -f "$f.pub" | sed 1d)" \
			"$(printed_art "$T/out")"
		if [ -z "$pass" ]; then
			like "$name: key handle, application ssh:, flags 0x01" \
				"$(skpriv "$f")" "^sk-[a-z0-9-]+@openssh.com ssh: 0x01 [0-9a-f]{40,}$"
		else
			like "$name: our file is aes256-ctr + bcrypt" \
				"$(sed '1d;$d' "$f" | base64 -d | head -c 40 | tr -c 'a-z0-9-' ' ')" \
				"aes256-ctr +bcrypt"
		fi
	done
done
like "the .pub names the type" "$(cut -d' ' -f1 "$K/ecdsa.pub") $(cut -d' ' -f1 "$K/ed25519.pub")" \
	"^sk-ecdsa-sha2-nistp256@openssh.com sk-ssh-ed25519@openssh.com$"
is "-q prints nothing" "$(keygen -q -f "$K/quiet" -N '' --token "unix:$T/a.tok" 2>&1)" ""
is "the default type is ed25519-sk" "$(cut -d' ' -f1 "$K/quiet.pub")" \
	sk-ssh-ed25519@openssh.com

# 2. Stock ssh-add loads them into skagent; the agent signs, OpenSSH verifies.
SSH_ASKPASS=$T/agent-askpass SSH_ASKPASS_REQUIRE=force \
	start_agent --token "unix:$T/a.tok" --token "unix:$T/b.tok"
for name in ed25519 ecdsa; do
	ok "ssh-add loads our $name-sk file" ssh-add -q "$K/$name"
	answers "pass phrase"
	ok "  and the encrypted one (passphrase by askpass)" \
		with_askpass ssh-add -q "$K/${name}_enc" </dev/null
	has "  ssh-add -l shows it" "$(ssh-add -l)" \
		"$(fp "$K/$name.pub") comment $name ($(echo "$name" | tr a-z A-Z)-SK)"
	ok "  ssh-add -T: the agent signs, ssh verifies" ssh-add -T "$K/$name.pub"
	ok "  the encrypted one too" ssh-add -T "$K/${name}_enc.pub"
done

keygen -q -t ecdsa-sk -f "$K/onb" -N '' -C onb --token "unix:$T/b.tok"
ssh-add -q "$K/onb" 2>/dev/null
ok "a key on token b (the one with a PIN) signs too: the agent finds its token" \
	ssh-add -T "$K/onb.pub"
ok "  and token a's keys still sign" ssh-add -T "$K/ed25519.pub"

# git-style signatures through the agent
echo commit >"$T/msg"
ok "ssh-keygen -Y sign with our key in the agent" \
	ssh-keygen -q -Y sign -f "$K/ed25519.pub" -n git "$T/msg"
echo "me@example $(cat "$K/ed25519.pub")" >"$T/allowed"
ok "ssh-keygen -Y verify accepts it" ssh-keygen -q -Y verify -f "$T/allowed" \
	-I me@example -n git -s "$T/msg.sig" <"$T/msg"

# 3. sshd logins with both types, presence checked by sshd itself
start_sshd host
cat "$K/ed25519.pub" "$K/ecdsa.pub" >>"$T/host/authorized_keys"
for name in ed25519 ecdsa; do
	SSH_OPTS=(-o "IdentityFile=$K/$name.pub" -o IdentitiesOnly=yes)
	is "ssh logs in with our $name-sk key in the agent" "$(ssh_to host echo in)" in
done
cp "$T/host/authorized_keys" "$T/ak.base"

# 4. -O no-touch-required: flags 0, sshd wants no-touch-required
keygen -q -t ecdsa-sk -f "$K/nt" -N '' -C notouch -O no-touch-required \
	--token "unix:$T/a.tok"
is "-O no-touch-required: generated" "$?" 0
is "  flags 0x00 in the file" "$(skflags "$K/nt")" 0x00
ssh-add -q "$K/nt"
SSH_OPTS=(-o "IdentityFile=$K/nt.pub" -o IdentitiesOnly=yes)
cat "$K/nt.pub" >>"$T/host/authorized_keys"
fails "  sshd refuses it without no-touch-required" ssh_to host true
{ cat "$T/ak.base"; echo "no-touch-required $(cat "$K/nt.pub")"; } >"$T/host/authorized_keys"
is "  with no-touch-required it logs in" "$(ssh_to host echo in)" in
SSH_OPTS=()

# 5. --add hands a new sk key to the agent (ADD_ID_CONSTRAINED, internal)
ok "--add: generated and added" keygen -q -f "$K/added" -N x -C "added sk" \
	--token "unix:$T/a.tok" --add
has "  ssh-add -l shows it" "$(ssh-add -l)" "$(fp "$K/added.pub") added sk (ED25519-SK)"
ok "  and it signs" ssh-add -T "$K/added.pub"

# 6. verify-required on token b (PIN 123456): the agent asks the PIN when
#    signing, sshd with verify-required lets it in.  Such a key hides from
#    silent probes, so the agent here sees token b alone.
keygen -t ed25519-sk -f "$K/uv" -N '' -C uv -O verify-required \
	--token "unix:$T/b.tok" >"$T/out" 2>&1
is "-O verify-required: generated (no PIN needed to enroll it)" "$?" 0 ||
	diag_file "$T/out"
is "  flags 0x05 in the file" "$(skflags "$K/uv")" 0x05
is "  no warning: token b has a PIN" "$(grep -c Warning "$T/out")" 0
out=$(setsid -w "$KEYGEN" -q -f "$K/uvnopin" -N '' -O verify-required --token "unix:$T/a.tok" </dev/null 2>&1)
is "verify-required on a token without a PIN, nobody to ask: exit 1" "$?" 1
is "  naming the command that sets a PIN (e2e 38: asked on the spot)" "$out" \
	"The security key unix:$T/a.tok has no PIN, and a verify-required key signs only after it is given: set one with \"agent-token --token unix:$T/a.tok pin\", then run agent-keygen again."
ok "  no file" test ! -e "$K/uvnopin"
stop_agent
SSH_ASKPASS=$T/agent-askpass SSH_ASKPASS_REQUIRE=force \
	start_agent --token "unix:$T/b.tok"
ssh-add -q "$K/uv"
ok "  the agent signs with the PIN it asks for" ssh-add -T "$K/uv.pub"
has "  asking as ssh-agent asks" "$(cat "$T/agent-askpass.log")" \
	"Enter PIN and confirm user presence for ED25519-SK key"
echo "verify-required $(cat "$K/uv.pub")" >>"$T/host/authorized_keys"
SSH_OPTS=(-o "IdentityFile=$K/uv.pub" -o IdentitiesOnly=yes)
is "  sshd (verify-required) lets it in" "$(ssh_to host echo in)" in
SSH_OPTS=()

# 7. Two tokens: -O device= picks one; otherwise the one touched wins.
#    on_token NAME KEY: an agent that sees only token NAME signs with KEY
on_token() {
	"$SKAGENT" --token "unix:$T/$1.tok" sh -c \
		'ssh-add -q "$1" 2>/dev/null && ssh-add -T "$1.pub" 2>/dev/null' _ "$2"
}
keygen -q -f "$K/devb" -N '' -O "device=unix:$T/b.tok" \
	--token "unix:$T/a.tok" --token "unix:$T/b.tok"
is "-O device=unix:b with tokens a and b: generated" "$?" 0
ok "  the key is on token b" on_token b "$K/devb"
fails "  and not on token a" on_token a "$K/devb"
keygen -q -t ecdsa-sk -f "$K/deva" -N '' -O "device=unix:$T/a.tok" \
	--token "unix:$T/b.tok"
ok "-O device= also outside the --token list: on token a" on_token a "$K/deva"
start_token deny --touch deny
keygen -f "$K/sel" -N '' --token "unix:$T/deny.tok" --token "unix:$T/a.tok" \
	>"$T/out" 2>&1
is "two tokens, one refuses the touch: generated on the other" "$?" 0 ||
	diag_file "$T/out"
has "  asking to touch the one to use" "$(cat "$T/out")" \
	"Several security keys are present: touch the one to use."
ok "  the key is on token a" on_token a "$K/sel"
stop_token deny

# 8. PINs: a resident key on token b needs one, asked as ssh-keygen asks
answers 123456
with_askpass keygen -t ecdsa-sk -f "$K/rk1" -N '' -C rk1 -O resident \
	-O application=ssh:work -O user=alice --token "unix:$T/b.tok" >"$T/out" 2>&1
is "-O resident on a token with a PIN: generated" "$?" 0 || diag_file "$T/out"
is "  the PIN asked once, as ssh-keygen asks" "$(cat "$T/askpass.log")" \
	"Enter PIN for authenticator: "
is "  touch asked again after the PIN" "$(grep -c 'You may need to touch' "$T/out")" 2
has "  \"again\" the second time" "$(cat "$T/out")" \
	"You may need to touch your authenticator again to authorize key generation."
is "  application ssh:work, flags 0x21 (resident, touch)" \
	"$(skpriv "$K/rk1" | cut -d' ' -f2,3)" "ssh:work 0x21"
answers 123456
with_askpass keygen -q -f "$K/rk2" -N '' -C rk2 -O resident --token "unix:$T/b.tok"
is "a second resident key (ssh:, no user)" "$?" 0
answers 123456
with_askpass keygen -q -f "$K/rk3" -N '' -O resident -O application=ssh:x \
	-O user=a/b --token "unix:$T/b.tok"
is "a third, user id with a slash" "$?" 0
answers 1111 2222
out=$(with_askpass keygen -q -f "$K/badpin" -N '' -O resident \
	-O application=ssh:bad --token "unix:$T/b.tok" 2>&1)
is "wrong PIN twice: exit 1" "$?" 1
is "  asked twice, no more (as ssh-keygen)" "$(grep -c PIN "$T/askpass.log")" 2
is "  saying how many tries are left" "$out" "PIN incorrect (7 tries left)
Too many incorrect PINs: wrong PIN, 6 tries left"
ok "  no file" test ! -e "$K/badpin" -a ! -e "$K/badpin.pub"
answers 123456
out=$(with_askpass keygen -q -f "$K/again" -N '' -O resident -O application=ssh:work \
	-O user=alice --token "unix:$T/b.tok" 2>&1)
is "the same resident key again, no terminal: exit 1" "$?" 1
like "  refusing to overwrite it on the token" "$out" \
	"A resident key scoped to 'ssh:work' with user id 'alice' already exists on the security key; not overwriting it"
ok "  no file" test ! -e "$K/again"
answers 123456
printf 'n\n' | with_askpass script -qec "'$KEYGEN' -q -f '$K/again' -N '' -O resident \
	-O application=ssh:work -O user=alice --token 'unix:$T/b.tok'" /dev/null >"$T/out"
has "on a terminal: asks as ssh-keygen asks" "$(tr -d '\r' <"$T/out")" \
	"A resident key scoped to 'ssh:work' with user id 'alice' already exists.
Overwrite key in token (y/n)? "
ok "  'n': no file" test ! -e "$K/again"

# 9. -K in a fresh directory writes the resident keys as ssh-keygen -K
#    names them; stock ssh-keygen and ssh-add take them.
mkdir "$T/new" && cd "$T/new" || bail cd
answers 123456
with_askpass "$KEYGEN" -K -N '' --token "unix:$T/b.tok" </dev/null >"$T/out" 2>&1
is "-K: exit 0" "$?" 0 || diag_file "$T/out"
is "  asked the PIN once" "$(cat "$T/askpass.log")" "Enter PIN for authenticator: "
is "  the files, named as ssh-keygen -K names them" "$(ls | tr '\n' ' ')" \
	"id_ecdsa_sk_rk_work_alice id_ecdsa_sk_rk_work_alice.pub id_ed25519_sk_rk id_ed25519_sk_rk.pub id_ed25519_sk_rk_x_612f62 id_ed25519_sk_rk_x_612f62.pub "
has "  saying so as ssh-keygen says it" "$(cat "$T/out")" \
	"Saved ECDSA-SK key ssh:work to id_ecdsa_sk_rk_work_alice"
has "  (no application shown for ssh:)" "$(cat "$T/out")" \
	"Saved ED25519-SK key to id_ed25519_sk_rk"
is "  the same public keys" "$(cut -d' ' -f1,2 id_ecdsa_sk_rk_work_alice.pub id_ed25519_sk_rk.pub)" \
	"$(cut -d' ' -f1,2 "$K/rk1.pub" "$K/rk2.pub")"
is "  the comment is the application" "$(cut -d' ' -f3 id_ecdsa_sk_rk_work_alice.pub)" ssh:work
is "  modes 0600 and 0644" "$(mode id_ed25519_sk_rk) $(mode id_ed25519_sk_rk.pub)" "600 644"
is "  ssh-keygen -y reads them" "$(ssh-keygen -y -f id_ecdsa_sk_rk_work_alice)" \
	"$(cat id_ecdsa_sk_rk_work_alice.pub)"
is "  flags resident + touch" "$(skflags id_ed25519_sk_rk)" 0x21
stop_agent
start_agent --token "unix:$T/b.tok"
ok "  stock ssh-add loads one into skagent" ssh-add -q id_ecdsa_sk_rk_work_alice
ok "  and it signs" ssh-add -T id_ecdsa_sk_rk_work_alice.pub
cp id_ed25519_sk_rk "$T/rk.before"
answers 123456
out=$(with_askpass "$KEYGEN" -K -N '' --token "unix:$T/b.tok" </dev/null 2>&1)
is "-K again, no terminal: exit 1" "$?" 1
like "  existing files are not overwritten" "$out" "already exists; not overwriting it"
ok "  unchanged" cmp -s "$T/rk.before" id_ed25519_sk_rk
mkdir "$T/enc" && cd "$T/enc" || bail cd
answers 123456 "rk pass" "rk pass"
with_askpass "$KEYGEN" -q -K --token "unix:$T/b.tok" </dev/null
is "-K asks one passphrase for all the files" "$(sed 1d "$T/askpass.log")" \
	"Enter passphrase (empty for no passphrase): 
Enter same passphrase again: "
is "  ssh-keygen -y reads them with it" "$(ssh-keygen -y -P "rk pass" -f id_ed25519_sk_rk)" \
	"$(cat id_ed25519_sk_rk.pub)"
cd "$T" || bail cd
answers 0000
out=$(with_askpass "$KEYGEN" -K -N '' --token "unix:$T/b.tok" </dev/null 2>&1)
like "-K with a wrong PIN twice: says so" "$out" "Too many incorrect PINs: wrong PIN, [0-9]+ tries left"
out=$(printf '\n' | "$KEYGEN" -K --token "unix:$T/a.tok" 2>&1)
is "-K without a PIN: exit 1" "$?" 1
like "  says so" "$out" "No PIN given"
out=$(printf '1234\n' | "$KEYGEN" -K --token "unix:$T/a.tok" 2>&1)
like "-K on a token without a PIN says so" "$out" \
	"Unable to load resident keys: the security key has no PIN set"

# 10. -K --add: no files at all, the keys straight into the agent
ssh-add -D -q 2>/dev/null
cd "$T/k" || bail cd
ls >"$T/ls.before"
answers 123456
with_askpass "$KEYGEN" -K --add --token "unix:$T/b.tok" </dev/null >"$T/out" 2>&1
is "-K --add: exit 0" "$?" 0 || diag_file "$T/out"
is "  no file written" "$(ls)" "$(cat "$T/ls.before")"
is "  three keys in the agent" "$(ssh-add -l | grep -c SK)" 3
has "  said as ssh-add -K says it" "$(cat "$T/out")" \
	"Resident identity added: ECDSA-SK $(fp "$K/rk1.pub")"
has "  the comment is the application" "$(ssh-add -l)" "$(fp "$K/rk1.pub") ssh:work (ECDSA-SK)"
ok "  the agent signs with them" ssh-add -T "$K/rk1.pub"
ok "  both" ssh-add -T "$K/rk2.pub"
cd "$T" || bail cd
out=$(SSH_AUTH_SOCK=$T/nothing "$KEYGEN" -K --add --token "unix:$T/b.tok" </dev/null 2>&1)
is "-K --add without an agent: exit 1" "$?" 1
like "  before asking for a PIN" "$out" "^Could not add the keys to the agent: could not connect to the agent$"

# 11. Attestation: OpenSSH's ssh-sk-attest-v01, verified by openssl
head -c 48 /dev/urandom >"$T/challenge"
for t in ed25519-sk ecdsa-sk; do
	keygen -t "$t" -f "$K/att_$t" -N '' -O "challenge=$T/challenge" \
		-O "write-attestation=$K/att_$t.bin" --token "unix:$T/a.tok" >"$T/out" 2>&1
	is "$t with -O challenge= -O write-attestation=: generated" "$?" 0 || diag_file "$T/out"
	has "  saying so as ssh-keygen does" "$(cat "$T/out")" \
		"Your FIDO attestation certificate has been saved in $K/att_$t.bin"
	is "  mode 0600" "$(mode "$K/att_$t.bin")" 600
	is "  the attestation: format, rp, key handle; openssl verifies it over the challenge" \
		"$(attest "$K/att_$t.bin" "$K/att_$t.pub" ssh: \
			"$(skpriv "$K/att_$t" | cut -d' ' -f4)" "$T/challenge")" good
done
keygen -q -f "$K/att_rand" -N '' -O "write-attestation=$K/att_rand.bin" \
	-O application=ssh:att --token "unix:$T/a.tok"
is "a random challenge: the attestation's structure" \
	"$(attest "$K/att_rand.bin" "$K/att_rand.pub" ssh:att "$(skpriv "$K/att_rand" | cut -d' ' -f4)")" \
	structure

# 12. Touch refused, token gone: a clear error and no file
kill -USR1 "$TOK_PID_a"
out=$(keygen -f "$K/refused" -N '' --token "unix:$T/a.tok" 2>&1)
is "touch refused: exit 1" "$?" 1
like "  says so" "$out" "Key enrollment failed: touch refused$"
ok "  no file" test ! -e "$K/refused" -a ! -e "$K/refused.pub"
kill -USR1 "$TOK_PID_a"
stop_token a
out=$(keygen -f "$K/gone" -N '' --token "unix:$T/a.tok" 2>&1)
is "token gone: exit 1" "$?" 1
like "  says so" "$out" "No security key found: plug one in and try again, or make a key kept in a file with -t ed25519.$"
ok "  no file" test ! -e "$K/gone" -a ! -e "$K/gone.pub"
out=$("$KEYGEN" -K --token "unix:$T/a.tok" <<<123456 2>&1)
like "-K, token gone: says so" "$out" "Unable to load resident keys: no security key found$"
start_token ne --no-eddsa
out=$(keygen -f "$K/noed" -N '' --token "unix:$T/ne.tok" 2>&1)
like "a token without EdDSA: says so" "$out" \
	"Key enrollment failed: the security key does not support this algorithm"
ok "  ecdsa-sk works there" keygen -q -t ecdsa-sk -f "$K/noed" -N '' --token "unix:$T/ne.tok"

# 13. ssh-keygen's file habits: default names, never overwriting
out=$(echo | setsid -w "$KEYGEN" -N '' --token "unix:$T/ne.tok" -t ecdsa-sk 2>&1)
has "asks for the file, offering ~/.ssh/id_ecdsa_sk" "$out" \
	"Enter file in which to save the key ($HOME/.ssh/id_ecdsa_sk): "
ok "  ~/.ssh/id_ecdsa_sk written" test -s "$HOME/.ssh/id_ecdsa_sk"
cp "$K/noed" "$T/before"
out=$(keygen -t ecdsa-sk -f "$K/noed" -N '' --token "unix:$T/ne.tok" 2>&1)
is "an existing key, no terminal: exit 1" "$?" 1
like "  refusing clearly" "$out" "$K/noed already exists; not overwriting it"
ok "  unchanged" cmp -s "$T/before" "$K/noed"
printf 'n\n' | script -qec "'$KEYGEN' -q -t ecdsa-sk -f '$K/noed' -N '' --token unix:$T/ne.tok" \
	/dev/null >"$T/out"
has "on a terminal: asks" "$(tr -d '\r' <"$T/out")" "$K/noed already exists."
ok "  'n' keeps it" cmp -s "$T/before" "$K/noed"
printf 'y\n' | script -qec "'$KEYGEN' -q -t ecdsa-sk -f '$K/noed' -N '' --token unix:$T/ne.tok" \
	/dev/null >/dev/null
fails "  'y' replaces it" cmp -s "$T/before" "$K/noed"
is "  with a matching .pub" "$(ssh-keygen -y -f "$K/noed" | cut -d' ' -f1,2)" \
	"$(cut -d' ' -f1,2 "$K/noed.pub")"

# 14. Bad options: clear errors, nothing made, no token needed
bad() {	# DESCRIPTION EXPECTED-REGEX ARGS...
	local d=$1 want=$2 out
	shift 2
	out=$("$KEYGEN" -f "$K/x" -N '' --token "unix:$T/ne.tok" "$@" </dev/null 2>&1)
	like "$d" "$out" "$want"
}
bad "an unknown -O" 'Option "frob" is unsupported for FIDO authenticator enrollment' -O frob
bad "application= must begin with ssh:" 'FIDO application string must begin with "ssh:"' \
	-O application=https://example.com
bad "user= at most 31 bytes" 'FIDO user id ".*" is too long: at most 31 bytes' \
	-O "user=$(printf 'u%.0s' $(seq 32))"
bad "challenge= from a missing file" \
	"Unable to load FIDO enrollment challenge \"$T/none\": No such file or directory" \
	-O "challenge=$T/none"
: >"$T/empty"
bad "challenge= from an empty file" "FIDO enrollment challenge \"$T/empty\" is empty" \
	-O "challenge=$T/empty"
bad "device= that is no device" 'Invalid FIDO device "hidraw0"' -O device=hidraw0
bad "--token that is no device" 'Invalid --token "tok"' --token tok
like "-K takes only device=" "$("$KEYGEN" -K -O resident 2>&1 </dev/null)" \
	'Option "resident" is unsupported for FIDO authenticator download'
ok "and none of these made a file" test ! -e "$K/x"
like "--help lists the security key options" "$("$KEYGEN" --help)" "write-attestation=FILE"
ok "man page: mandoc -Tlint clean" mandoc -Tlint -Wwarning "$TOP/tools/agent-keygen.1"

done_testing
