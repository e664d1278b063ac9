#!/bin/bash
# agent-keygen against stock OpenSSH: ssh-keygen reads every file we write
# and we read every file it writes; ssh-add loads ours into ssh-agent and
# ssh logs in with them; ssh-keygen's habits (default names, ~/.ssh 0700,
# prompts, never overwriting without asking); --add; nothing half-written.
. "$(dirname "$0")/lib.sh"

[ -x "$KEYGEN" ] || bail "no $KEYGEN: run make"
export HOME=$T/home
mkdir -p "$HOME" "$T/k"
K=$T/k

# An askpass that records its prompt and answers with the next line of
# $T/answers (the last one again when they run out).
cat >"$T/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>"$T/askpass.log"
n=\$(wc -l <"$T/askpass.log")
sed -n "\${n}p" "$T/answers" | grep . || tail -n 1 "$T/answers"
EOF
chmod 755 "$T/askpass"
answers() { printf '%s\n' "$@" >"$T/answers"; : >"$T/askpass.log"; }
with_askpass() { SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force "$@"; }
# no controlling terminal: nothing may wait for the person running the tests
notty() { setsid -w "$@"; }
mode() { stat -c %a "$1"; }
pubkey() { cut -d' ' -f1,2 "$1"; }
fp() { ssh-keygen -l -f "$1" | cut -d' ' -f2; }
# has DESCRIPTION TEXT FIXED-STRING
has() {
	if printf '%s\n' "$2" | grep -qF -- "$3"; then
		_tap_result 0 "$1"
	else
		_tap_result 1 "$1"
		printf '#   text: %s\n#   lacks: %s\n' "$2" "$3"
	fi
}
# the fingerprint agent-keygen printed (the line after "The key fingerprint is:")
printed_fp() { sed -n '/^The key fingerprint is:$/{n;p;}' "$1" | cut -d' ' -f1; }
# ... and its randomart (the lines after "The key's randomart image is:")
printed_art() { sed -n '/^The key.s randomart image is:$/,$p' "$1" | sed 1d; }

# 1. Every type and size, with and without a passphrase: stock ssh-keygen
#    reads our files, agrees on the fingerprint and the picture.
for spec in ed25519: ecdsa:256 ecdsa:384 ecdsa:521 rsa:1024 rsa:3072; do
	t=${spec%%:*}
	b=${spec#*:}
	for pass in "" "pass phrase"; do
		name=$t${b}${pass:+_enc}
		f=$K/$name
		"$KEYGEN" -t "$t" ${b:+-b "$b"} -f "$f" -N "$pass" \
			-C "comment $name" >"$T/out" 2>"$T/err" </dev/null
		is "$name: generated" "$?" 0 || diag_file "$T/err"
		is "$name: private file mode 0600, .pub 0644" \
			"$(mode "$f") $(mode "$f.pub")" "600 644"
		is "$name: ssh-keygen -y prints our .pub" \
			"$(ssh-keygen -y -f "$f" ${pass:+-P "$pass"} 2>&1)" \
			"$(cat "$f.pub")"
		is "$name: ssh-keygen -l agrees with our fingerprint" \
			"$(ssh-keygen -l -f "$f.pub" | cut -d' ' -f2)" \
			"$(printed_fp "$T/out")"
		is "$name: and with our randomart" \
			"$(ssh-keygen -lv -f "$f.pub" | sed 1d)" \
			"$(printed_art "$T/out")"
		if [ -n "$pass" ]; then
			fails "$name: ssh-keygen -y with a wrong passphrase fails" \
				ssh-keygen -y -f "$f" -P "wrong" 2>/dev/null
			like "$name: our file is aes256-ctr + bcrypt" \
				"$(sed '1d;$d' "$f" | base64 -d | head -c 40 | tr -c 'a-z0-9-' ' ')" \
				"aes256-ctr +bcrypt"
		fi
	done
done
is "the output is ssh-keygen's" "$(head -n 7 "$T/out")" \
"Generating public/private rsa key pair.
Your identification has been saved in $K/rsa3072_enc
Your public key has been saved in $K/rsa3072_enc.pub
The key fingerprint is:
$(ssh-keygen -l -f "$K/rsa3072_enc.pub" | cut -d' ' -f2) comment rsa3072_enc
The key's randomart image is:
+---[RSA 3072]----+"
is "-q prints nothing" \
	"$("$KEYGEN" -q -t ed25519 -f "$K/quiet" -N '' 2>&1 </dev/null)" ""
is "the default comment is user@host" "$(cut -d' ' -f3 "$K/quiet.pub")" \
	"$(id -un)@$(uname -n)"

# 2. ssh-keygen -p changes the passphrase of our file; we read the result.
cp "$K/ed25519_enc" "$K/chpass" && cp "$K/ed25519_enc.pub" "$K/chpass.pub"
ssh-keygen -q -p -f "$K/chpass" -P "pass phrase" -N "new one" >/dev/null
is "ssh-keygen -p re-encrypts our file" "$?" 0
is "agent-keygen -y reads it with the new passphrase" \
	"$("$KEYGEN" -y -f "$K/chpass" -P "new one" 2>&1)" "$(cat "$K/chpass.pub")"
fails "... and not with the old one" \
	"$KEYGEN" -y -f "$K/chpass" -P "pass phrase" 2>/dev/null
ssh-keygen -q -p -f "$K/chpass" -P "new one" -N "" >/dev/null
is "ssh-keygen -p removes the passphrase" "$?" 0
is "agent-keygen -y reads the result without asking" \
	"$(notty "$KEYGEN" -y -f "$K/chpass" </dev/null 2>&1)" "$(cat "$K/chpass.pub")"

# 3. agent-keygen -y reads ssh-keygen's files, the passphrase from askpass.
for t in ed25519 ecdsa rsa; do
	ssh-keygen -q -t "$t" -N secret -C "stock $t" -f "$K/stock_$t" ||
		bail "ssh-keygen"
	answers secret
	is "-y reads ssh-keygen's encrypted $t key (passphrase by askpass)" \
		"$(with_askpass "$KEYGEN" -y -f "$K/stock_$t" </dev/null 2>&1)" \
		"$(cat "$K/stock_$t.pub")"
	is "  askpass asked as ssh-keygen does" "$(cat "$T/askpass.log")" \
		"Enter passphrase: "
done
answers wrong
out=$(with_askpass "$KEYGEN" -y -f "$K/stock_rsa" </dev/null 2>&1)
is "-y with a wrong passphrase: exit 1" "$?" 1
is "  and says why" "$out" \
	"Load key \"$K/stock_rsa\": incorrect passphrase supplied to decrypt private key"
for f in "$TOP"/tests/unit/data/ed25519_enc_*[!b]; do
	cp "$f" "$K/cipher" && chmod 600 "$K/cipher"
	c=$(sed '1d;$d' "$f" | base64 -d | head -c 60 | tr -c 'a-z0-9@.-' ' ' |
		awk '{print $2}')
	is "-y reads ssh-keygen's $c file" \
		"$("$KEYGEN" -y -f "$K/cipher" -P secret 2>&1)" "$(cat "$f.pub")"
done

# 4. A private key others can read is refused, as ssh does.
cp "$K/ed25519" "$K/open" && chmod 644 "$K/open"
out=$("$KEYGEN" -y -f "$K/open" 2>&1)
is "a 0644 private key: exit 1" "$?" 1
like "  UNPROTECTED PRIVATE KEY FILE!" "$out" "WARNING: UNPROTECTED PRIVATE KEY FILE!"
like "  with its mode, as ssh says it" "$out" "Permissions 0644 for '$K/open' are too open."

# 5. Stock ssh-add loads our keys into stock ssh-agent.
eval "$(ssh-agent -s -a "$T/stock.sock")" >/dev/null || bail "ssh-agent"
_bg_pids="$_bg_pids $SSH_AGENT_PID"
for name in ed25519 ecdsa384 rsa1024; do
	ok "ssh-add loads our $name key" ssh-add -q "$K/$name" 2>/dev/null
	has "  ssh-add -l shows its fingerprint" "$(ssh-add -l)" \
		"$(fp "$K/$name.pub") comment $name"
done
answers "pass phrase"
ok "ssh-add loads our encrypted ecdsa521 key (passphrase by askpass)" \
	with_askpass ssh-add -q "$K/ecdsa521_enc" </dev/null 2>/dev/null

# 6. The classic walkthrough: keygen, ssh-add, ssh.
start_sshd alpha
cat "$K/rsa3072.pub" >>"$T/alpha/authorized_keys"
is "ssh -i logs in with our rsa key" \
	"$(ssh -F "$T/ssh_config" -o IdentityAgent=none -i "$K/rsa3072" alpha echo hello 2>&1)" \
	hello
answers "walk through" "walk through"
ok "agent-keygen, passphrase twice through askpass" \
	with_askpass "$KEYGEN" -q -t ed25519 -f "$K/walk" </dev/null
is "  asked as ssh-keygen asks" "$(cat "$T/askpass.log")" \
	"Enter passphrase (empty for no passphrase): 
Enter same passphrase again: "
answers "walk through"
ok "  ssh-add loads it" with_askpass ssh-add -q "$K/walk" </dev/null 2>/dev/null
cat "$K/walk.pub" >>"$T/alpha/authorized_keys"
is "  ssh logs in through the agent" "$(ssh_to alpha echo walked 2>&1)" walked
answers one two three three
with_askpass "$KEYGEN" -t ed25519 -f "$K/retry" </dev/null >"$T/out"
is "passphrases that do not match are asked again" "$?" 0
has "  saying so" "$(cat "$T/out")" "Passphrases do not match.  Try again."
is "  and the key has the agreed one" \
	"$(ssh-keygen -y -f "$K/retry" -P three 2>&1)" "$(cat "$K/retry.pub")"

# 7. --add hands the new key to the agent: stock ssh-agent, then ours.
ok "--add" "$KEYGEN" -q -t ecdsa -f "$K/added" -N "x" -C "added key" --add </dev/null
has "  ssh-add -l shows it" "$(ssh-add -l)" \
	"256 $(fp "$K/added.pub") added key (ECDSA)"
stock_sock=$SSH_AUTH_SOCK
start_agent
ok "--add into our own agent" \
	"$KEYGEN" -q -t ed25519 -f "$K/ours" -N "x" -C "our agent" --add </dev/null
has "  ssh-add -l shows it" "$(ssh-add -l)" "256 $(fp "$K/ours.pub") our agent (ED25519)"
cat "$K/ours.pub" >>"$T/alpha/authorized_keys"
is "  ssh logs in with it through skagent" "$(ssh_to alpha echo ours 2>&1)" ours
stop_agent
SSH_AUTH_SOCK=$stock_sock
out=$(SSH_AUTH_SOCK=$T/nothing "$KEYGEN" -q -t ed25519 -f "$K/noagent" -N '' --add </dev/null 2>&1)
is "--add without an agent: exit 1" "$?" 1
like "  says so" "$out" "Could not add the key to the agent: could not connect to the agent"
ok "  the key files are saved all the same" test -s "$K/noagent" -a -s "$K/noagent.pub"

# 8. ssh-keygen's default names, ~/.ssh created 0700.
out=$(echo | notty "$KEYGEN" -t ed25519 -N '' 2>"$T/err")
has "asks for the file, offering ~/.ssh/id_ed25519" "$out" \
	"Enter file in which to save the key ($HOME/.ssh/id_ed25519): "
is "~/.ssh created, mode 0700" "$(mode "$HOME/.ssh")" 700
like "  saying so" "$(cat "$T/err")" "Created directory '$HOME/.ssh'."
ok "~/.ssh/id_ed25519 written" test -s "$HOME/.ssh/id_ed25519"
echo | "$KEYGEN" -q -t ecdsa -N '' >/dev/null
ok "ecdsa: ~/.ssh/id_ecdsa" test -s "$HOME/.ssh/id_ecdsa"
echo | "$KEYGEN" -q -t rsa -b 1024 -N '' >/dev/null
ok "rsa: ~/.ssh/id_rsa" test -s "$HOME/.ssh/id_rsa"

# 9. Never overwritten without asking.
cp "$K/ed25519" "$T/before"
out=$("$KEYGEN" -q -t ed25519 -f "$K/ed25519" -N '' </dev/null 2>&1)
is "an existing key, no terminal: exit 1" "$?" 1
like "  refusing clearly" "$out" "$K/ed25519 already exists; not overwriting it"
ok "  the file is unchanged" cmp -s "$T/before" "$K/ed25519"
printf 'n\n' | script -qec "'$KEYGEN' -q -t ed25519 -f '$K/ed25519' -N ''" /dev/null >"$T/out"
has "on a terminal: asks" "$(tr -d '\r' <"$T/out")" "$K/ed25519 already exists."
has "  Overwrite (y/n)?" "$(cat "$T/out")" "Overwrite (y/n)? "
ok "  'n' keeps the file" cmp -s "$T/before" "$K/ed25519"
printf 'y\n' | script -qec "'$KEYGEN' -q -t ed25519 -f '$K/ed25519' -N ''" /dev/null >/dev/null
fails "  'y' replaces it" cmp -s "$T/before" "$K/ed25519"
is "  with a matching .pub" "$(ssh-keygen -y -f "$K/ed25519" | cut -d' ' -f1,2)" \
	"$(pubkey "$K/ed25519.pub")"
rm "$K/noagent"
out=$("$KEYGEN" -q -t ed25519 -f "$K/noagent" -N '' </dev/null 2>&1)
like "a lone .pub is not overwritten either" "$out" "$K/noagent.pub already exists"

# 10. Nothing half-written.
mkdir "$K/full"
out=$(ulimit -S -f 1; trap '' XFSZ; "$KEYGEN" -q -t rsa -b 2048 -f "$K/full/id" -N '' </dev/null 2>&1)
is "a write that fails half way (file size limit): exit 1" "$?" 1
like "  saying why" "$out" "Saving key \"$K/full/id\" failed: File too large"
is "  and leaving nothing behind" "$(ls -A "$K/full")" ""
touch "$K/notadir"
out=$("$KEYGEN" -q -t ed25519 -f "$K/notadir/id" -N '' </dev/null 2>&1)
like "a path through a file: clean error" "$out" "failed: Not a directory"
ro=$(mktemp -d /tmp/skagent-ro.XXXXXX) && chmod 755 "$ro"
if [ "$(id -u)" != 0 ]; then
	chmod 555 "$ro"
	out=$("$KEYGEN" -q -t ed25519 -f "$ro/id" -N '' -C x </dev/null 2>&1)
	rc=$?
elif setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KEYGEN" -q -t ed25519 -f "$ro/id" -N '' -C x </dev/null 2>&1)
	rc=$?
else
	out= rc=
fi
if [ -n "$rc" ]; then
	is "an unwritable directory: exit 1" "$rc" 1
	like "  saying why" "$out" "failed: Permission denied"
	is "  and leaving nothing behind" "$(ls -A "$ro")" ""
else
	skip "cannot drop privileges to test an unwritable directory"
fi
chmod 755 "$ro"
rm -rf "$ro"

# 11. Security keys (tests/e2e/31-sk-keygen.t) without one, and bad
#     arguments.
for t in ed25519-sk ecdsa-sk ""; do
	out=$("$KEYGEN" ${t:+-t "$t"} -f "$K/sk" -N '' --token "unix:$T/none" \
		</dev/null 2>&1)
	rc=$?
	is "${t:-the default type (ed25519-sk)}, no security key: exit 1" "$rc" 1
	is "  saying so in one line, with both ways out" "$out" \
		"No security key found: plug one in and try again, or make a key kept in a file with -t ed25519."
done
ok "  and no file was made" test ! -e "$K/sk"
like "ecdsa -b 300 refused" "$("$KEYGEN" -t ecdsa -b 300 -f "$K/x" 2>&1)" \
	"Invalid ECDSA key length: valid lengths are 256, 384 or 521 bits"
like "rsa -b 512 refused" "$("$KEYGEN" -t rsa -b 512 -f "$K/x" 2>&1)" \
	"Invalid RSA key length: minimum is 1024 bits"
like "-O for a plain key refused" \
	"$("$KEYGEN" -t ed25519 -O resident -f "$K/x" 2>&1)" "only for security keys"
like "unknown type refused" "$("$KEYGEN" -t dsa -f "$K/x" 2>&1)" \
	"unknown key type dsa"
like "--help" "$("$KEYGEN" --help)" "^usage: agent-keygen"
fails "an unknown option: exit 1" "$KEYGEN" --frobnicate 2>/dev/null
ok "and none of these made a file" test ! -e "$K/x"

done_testing
