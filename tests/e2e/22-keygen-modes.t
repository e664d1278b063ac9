#!/bin/bash
# agent-keygen -p, -c and -l against stock ssh-keygen: files changed by -p
# and -c are read by ssh-keygen -y -P and -l; what they print, -l's output
# (both hashes, -v) and the prompts (driven in tmux, on a terminal) are
# byte for byte ssh-keygen's; -p -O sets and clears a security key file's
# flags; the modes left to ssh-keygen name its command; no security key:
# one line before anything is asked; --add with no agent says so before
# the touch, saves the key and says how to add it later.
. "$(dirname "$0")/lib.sh"

[ -x "$KEYGEN" ] || bail "no $KEYGEN: run make"
command -v tmux >/dev/null 2>&1 || bail "no tmux: run make check (scripts/deps)"
export HOME=$T/home
mkdir -p "$HOME" "$T/k" "$T/s"
K=$T/k	# agent-keygen's copies
S=$T/s	# ssh-keygen's copies
pubkey() { cut -d' ' -f1,2 "$1"; }
# reads PASS FILE: ssh-keygen -y reads the private key with PASS
reads() { ssh-keygen -y -P "$1" -f "$2" >/dev/null 2>&1; }
# both NAME: the same file in $K and $S
both() { cp -p "$1" "$K/$2" && cp -p "$1" "$S/$2"; [ ! -e "$1.pub" ] || { cp -p "$1.pub" "$K/$2.pub" && cp -p "$1.pub" "$S/$2.pub"; }; }

# tmux on a private socket, a new one for each command (a server being
# killed may still answer): a terminal for the prompts.
TMN=0
TM=(tmux -L "skagent-22-$$-$TMN" -f /dev/null)
tm_stop() { "${TM[@]}" kill-server 2>/dev/null; }
trap 'tm_stop; _cleanup' EXIT
# tm_run DIR COMMAND...: runs COMMAND in a new pane in DIR, the shell's
# exit status kept in DIR/rc, then a line "[end]" once all its output is
# out (tmux draws a pane's output after the program wrote it)
tm_run() {
	local dir=$1
	shift
	tm_stop
	TMN=$((TMN + 1))
	TM=(tmux -L "skagent-22-$$-$TMN" -f /dev/null)
	"${TM[@]}" new-session -d -x 150 -y 40 -c "$dir" \
		"$(printf '%q ' "$@"); echo \$? >rc; echo '[end]'; sleep 600"
}
tm_screen() { "${TM[@]}" capture-pane -p | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
# a prompt on the last line, below line N
tm_prompt_after() {
	local s
	s=$(tm_screen)
	[ "$(printf '%s\n' "$s" | wc -l)" -gt "$1" ] &&
		printf '%s\n' "$s" | tail -n 1 | grep -q ': *$'
}
# prompts DIR N KEY... COMMAND...: the command on a terminal, each of the
# N KEYs typed (then Enter) once the next prompt shows; prints the screen
# once the command has exited
prompts() {
	local dir=$1 n=$2 lines=0 k
	shift 2
	local keys=("${@:1:n}")
	shift "$n"
	rm -f "$dir/rc"
	tm_run "$dir" "$@"
	for k in "${keys[@]}"; do
		wait_for 20 tm_prompt_after "$lines" || { diag "no prompt for '$k'"; break; }
		lines=$(tm_screen | wc -l)
		"${TM[@]}" send-keys -l -- "$k" && "${TM[@]}" send-keys Enter
	done
	wait_for 30 sh -c "$(printf '%q ' "${TM[@]}") capture-pane -p | grep -qx '\[end\]'"
	tm_screen | sed '/^\[end\]$/,$d'
}

# 1. -p: ssh-keygen reads the result; output and messages are its own.
for t in ed25519 ecdsa rsa; do
	bits=
	[ "$t" = rsa ] && bits=1024
	ssh-keygen -q -t "$t" ${bits:+-b "$bits"} -a 2 -N old -C "stock $t" -f "$T/$t" ||
		bail "ssh-keygen"
	both "$T/$t" "$t"
	out=$("$KEYGEN" -p -f "$K/$t" -P old -N new -a 2 2>&1)
	is "-p $t (ssh-keygen's file): exit 0" "$?" 0
	is "  prints what ssh-keygen -p prints" "$out" \
		"$(cd "$S" && ssh-keygen -p -f "$S/$t" -P old -N new -a 2 2>&1)"
	is "  ssh-keygen -y -P reads it with the new passphrase" \
		"$(ssh-keygen -y -P new -f "$K/$t" 2>&1)" "$(pubkey "$K/$t.pub") stock $t"
	fails "  and not with the old one" reads old "$K/$t"
	is "  mode 0600" "$(stat -c %a "$K/$t")" 600
done
"$KEYGEN" -p -f "$K/ed25519" -P new -N '' >/dev/null
ok "-p -N '': ssh-keygen reads it with no passphrase" \
	reads '' "$K/ed25519"
"$KEYGEN" -p -f "$K/ed25519" -N again -a 3 >/dev/null </dev/null
ok "-p on an unencrypted key: no old passphrase asked" \
	reads again "$K/ed25519"
rounds() { sed '1d;$d' "$1" | base64 -d | perl -e 'local $/; my $d = <>;
	my (undef, $c, $k, $o) = unpack("Z* N/a* N/a* N/a*", $d);
	my ($s, $r) = unpack("N/a* N", $o); print "$c $k $r\n"'; }
is "  -a 3: aes256-ctr, bcrypt, 3 rounds" "$(rounds "$K/ed25519")" "aes256-ctr bcrypt 3"
both "$T/rsa" wrong
# ssh-keygen's fatal() ends its lines in CR LF
b=$(cd "$S" && ssh-keygen -p -f wrong -P nope -N x 2>&1 </dev/null | tr -d '\r')
is "a wrong old passphrase: ssh-keygen's message, exit 1" "$(cd "$K" && "$KEYGEN" -p -f wrong -P nope -N x 2>&1 </dev/null; echo "rc=$?")" "$b
rc=1"
cmp -s "$K/wrong" "$T/rsa"
ok "  and the file is untouched" test $? -eq 0
chmod 644 "$K/wrong"
like "a private key others can read: ssh's warning" \
	"$("$KEYGEN" -p -f "$K/wrong" -P old -N x 2>&1)" "UNPROTECTED PRIVATE KEY FILE!"
chmod 600 "$K/wrong"
ln -s wrong "$K/link"
"$KEYGEN" -q -p -f "$K/link" -P old -N linked -a 2 </dev/null
ok "-p through a symlink: the link stays" test -L "$K/link"
ok "  and its target has the new passphrase" reads linked "$K/wrong"

# 2. -p's prompts, on a terminal: the screen is ssh-keygen's.
both "$T/ecdsa" tty
a=$(prompts "$K" 3 old "tty pass" "tty pass" "$KEYGEN" -p -f tty)
b=$(prompts "$S" 3 old "tty pass" "tty pass" ssh-keygen -p -f tty)
is "-p on a terminal: the same prompts and messages as ssh-keygen" "$a" "$b"
is "  (old, new twice)" "$a" "Enter old passphrase:
Key has comment 'stock ecdsa'
Enter new passphrase (empty for no passphrase):
Enter same passphrase again:
Your identification has been saved with the new passphrase."
ok "  ssh-keygen reads the result" reads "tty pass" "$K/tty"
both "$T/ecdsa" tty2
a=$(prompts "$K" 3 old one two "$KEYGEN" -p -f tty2; echo "rc=$(cat "$K/rc")")
b=$(prompts "$S" 3 old one two ssh-keygen -p -f tty2; echo "rc=$(cat "$S/rc")")
is "new passphrases that differ: as ssh-keygen, exit 1" "$a" "${b%rc=*}rc=1"
ok "  the file is untouched" cmp -s "$K/tty2" "$T/ecdsa"
a=$(prompts "$K" 1 "" "$KEYGEN" -p)
like "no -f: the file is asked for" "$a" "Enter file in which the key is \($HOME/.ssh/id_ed25519_sk\):"

# 3. -c: both files, ssh-keygen's messages, the passphrase kept.
both "$T/ed25519" com
a=$("$KEYGEN" -c -f "$K/com" -P old -C "new comment" 2>&1)
b=$(ssh-keygen -c -f "$S/com" -P old -C "new comment" 2>&1)
is "-c: prints what ssh-keygen -c prints" "$a" "$b"
is "  ssh-keygen -y -P old reads the private key, new comment inside" \
	"$(ssh-keygen -y -P old -f "$K/com")" "$(pubkey "$K/com.pub") new comment"
is "  the .pub has it" "$(cut -d' ' -f3- "$K/com.pub")" "new comment"
is "  ssh-keygen -l shows it" "$(ssh-keygen -l -f "$K/com" | cut -d' ' -f3-)" \
	"new comment (ED25519)"
is "  modes kept (0600, 0644)" "$(stat -c %a "$K/com") $(stat -c %a "$K/com.pub")" "600 644"
is "the same comment again: as ssh-keygen" \
	"$("$KEYGEN" -c -f "$K/com" -P old -C "new comment" 2>&1)" \
	"$(ssh-keygen -c -f "$S/com" -P old -C "new comment" 2>&1)"
is "-C '': as ssh-keygen" "$("$KEYGEN" -c -f "$K/com" -P old -C '' 2>&1)" \
	"$(ssh-keygen -c -f "$S/com" -P old -C '' 2>&1)"
is "  and ssh-keygen reads the result" "$(ssh-keygen -y -P old -f "$K/com")" "$(pubkey "$K/com.pub")"
both "$T/rsa" ctty
a=$(prompts "$K" 2 old "typed comment" "$KEYGEN" -c -f ctty)
b=$(prompts "$S" 2 old "typed comment" ssh-keygen -c -f ctty)
is "-c on a terminal: ssh-keygen's prompts (passphrase, New comment:)" "$a" "$b"
is "  ssh-keygen -l shows the typed comment" \
	"$(ssh-keygen -l -f "$K/ctty.pub" | cut -d' ' -f3-)" "typed comment (RSA)"

# 4. -l: byte for byte ssh-keygen -l, both hashes, -v.
cd "$T/k" || bail "cd"
ssh-keygen -q -t ed25519 -N '' -C plain -f l1
ssh-keygen -q -t ecdsa -b 384 -N '' -C "two  spaces " -f l2
ssh-keygen -q -t rsa -b 1024 -N pw -C enc -f l3
"$KEYGEN" -q -t ed25519 -N '' -C ours -f l4 </dev/null
ssh-keygen -q -t ed25519 -N '' -C nopub -f l5 && rm l5.pub
ssh-keygen -q -t ed25519 -N pw -C encnopub -f l6 && rm l6.pub
ssh-keygen -q -t ed25519 -N '' -C x -f l7 && pubkey l7.pub >l7.tmp && mv l7.tmp l7.pub
ssh-keygen -q -t ed25519 -N '' -C ca -f ca
ssh-keygen -q -s ca -I cert-id -n me l1.pub 2>/dev/null
{
	cat l1.pub
	echo "# a comment line"
	echo
	echo "from=\"10.0.0.1,10.0.0.2\",no-pty,command=\"echo a b\" $(cat l2.pub)"
	echo "restrict $(pubkey l3.pub)"
	echo "no-touch-required,verify-required $(cat l4.pub)"
	echo "garbage that is no key"
	printf '%s\ttabbed comment\n' "$(pubkey l7.pub)"
	echo "host1,[host2]:2222 $(pubkey l1.pub)"
	echo "  $(cat l3.pub)"
	printf '%s caf\303\251 \001ctl\n' "$(pubkey l4.pub)"
} >keys
for f in l1.pub l2.pub l3.pub l1 l2 l3 l4 l5 l6 l7 l1-cert.pub keys; do
	for o in "" -v "-E md5" "-v -E md5" "-E sha256"; do
		# shellcheck disable=SC2086
		is "-l $o -f $f: ssh-keygen's output" \
			"$("$KEYGEN" -l $o -f "$f" 2>/dev/null)" "$(ssh-keygen -l $o -f "$f" 2>/dev/null)"
	done
done
is "-l -f - (stdin)" "$("$KEYGEN" -l -f - <keys)" "$(ssh-keygen -l -f - <keys)"
is "-l in a UTF-8 locale: printable UTF-8 shown" \
	"$(LC_ALL=C.UTF-8 "$KEYGEN" -l -f keys)" "$(LC_ALL=C.UTF-8 ssh-keygen -l -f keys)"
a=$("$KEYGEN" -l -f /etc/hostname 2>&1)
is "not a key file: ssh-keygen's message, exit 1" "$a rc=$?" \
	"$(ssh-keygen -l -f /etc/hostname 2>&1 | tr -d '\r') rc=1"
like "a missing file: says so" "$("$KEYGEN" -l -f nothing 2>&1)" "nothing: No such file or directory"
# where ssh-keygen shows leftovers of the line before, "no comment"
printf '%s c1\n%s\n' "$(pubkey l1.pub)" "$(pubkey l2.pub)" >two
like "a line without a comment after one with: no comment" \
	"$("$KEYGEN" -l -f two | sed -n 2p)" "^384 SHA256:[^ ]+ no comment \(ECDSA\)$"
cd "$T" || bail "cd"

# 5. Security key files: -p -O sets and clears the flags in the file.
start_token a
skflags() { sed '1d;$d' "$1" | base64 -d | perl -e 'local $/; my $d = <>;
	my (undef, $c, $k, $o, $n, $pub, $priv) = unpack("Z* N/a* N/a* N/a* N N/a* N/a*", $d);
	die "encrypted\n" unless $c eq "none";
	my (undef, undef, $t, $f) = unpack("N N N/a* a*", $priv);
	my $fl = $t =~ /ed25519/ ? (unpack("N/a* N/a* C", $f))[2] :
	    (unpack("N/a* N/a* N/a* C", $f))[3];
	printf "0x%02x\n", $fl'; }
"$KEYGEN" -q -t ed25519-sk -N '' -C sk -f "$K/sk" --token "unix:$T/a.tok" </dev/null ||
	bail "agent-keygen -t ed25519-sk"
is "a new sk key file: touch required (0x01)" "$(skflags "$K/sk")" 0x01
out=$("$KEYGEN" -p -f "$K/sk" -N '' -O verify-required 2>&1)
is "-p -O verify-required: 0x05" "$(skflags "$K/sk")" 0x05
like "  and says so" "$out" "Security key flags: touch-required, verify-required"
ok "  ssh-keygen -y reads the file" reads '' "$K/sk"
"$KEYGEN" -q -p -f "$K/sk" -N '' -O no-touch-required </dev/null 2>"$T/err"
is "-O no-touch-required: 0x04" "$(skflags "$K/sk")" 0x04
like "  with a word on authorized_keys" "$(cat "$T/err")" "no-touch-required"
"$KEYGEN" -q -p -f "$K/sk" -N '' -O touch-required -O no-verify-required </dev/null
is "-O touch-required -O no-verify-required: back to 0x01" "$(skflags "$K/sk")" 0x01
"$KEYGEN" -q -p -f "$K/sk" -N 'sk pass' -O verify-required </dev/null
ok "with a passphrase: ssh-keygen -y -P reads it" reads "sk pass" "$K/sk"
"$KEYGEN" -q -p -f "$K/sk" -P 'sk pass' -N '' </dev/null
is "  and the flag stayed" "$(skflags "$K/sk")" 0x05
like "-O on a plain key: refused" "$("$KEYGEN" -p -f "$K/l1" -N '' -O verify-required 2>&1)" \
	"only for security keys"
like "an unknown -O: refused" "$("$KEYGEN" -p -f "$K/sk" -N '' -O resident 2>&1)" \
	"unsupported"

# 6. The modes left to ssh-keygen: one line naming its command.
while read -r args; do
	# shellcheck disable=SC2086
	out=$("$KEYGEN" $args 2>&1)
	rc=$?
	is "agent-keygen $args: exit 1" "$rc" 1
	like "  one line naming ssh-keygen $args" "$out" \
		"^agent-keygen leaves .* to ssh-keygen: run ssh-keygen $(printf '%s' "$args" | sed 's/[][\.*^$()|+?{}]/\\&/g')$"
done <<-EOF
	-A
	-D /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
	-e -f k/l1.pub
	-F host.example
	-i -f key.ssh2
	-L -f k/l1-cert.pub
	-m PEM -e -f k/l1.pub
	-R host.example
	-s ca -I id -n me k/l1.pub
	-Y sign -n git -f k/l1 file
	-l -Y check-novalidate
EOF
is "a passphrase is not repeated" "$("$KEYGEN" -s ca -P secret -I id k.pub 2>&1)" \
	"agent-keygen leaves certificates (-s) to ssh-keygen: run ssh-keygen -s ca -P PASSPHRASE -I id k.pub"
is "an argument with spaces is quoted for the shell" \
	"$("$KEYGEN" -F "my host" 2>&1)" \
	"agent-keygen leaves known_hosts searches (-F) to ssh-keygen: run ssh-keygen -F 'my host'"

# 7. No security key: one line, before anything is asked.
out=$(prompts "$T" 0 "$KEYGEN" --token "unix:$T/none.tok"; echo "rc=$(cat "$T/rc")")
is "no -t, no security key: one line, nothing asked, exit 1" "$out" \
"No security key found: plug one in and try again, or make a key kept in a file with -t ed25519.
rc=1"
ok "  no file made" test ! -e "$HOME/.ssh/id_ed25519_sk"

# 8. --add with no agent: said before the touch; the key saved; how to add it.
SSH_AUTH_SOCK=$T/no-agent "$KEYGEN" -t ed25519-sk -N '' -C added -f "$K/add" \
	--token "unix:$T/a.tok" --add </dev/null >"$T/out" 2>&1
is "--add, no agent: exit 1" "$?" 1
out=$(cat "$T/out")
ok "  the warning comes before the touch" test "$(grep -n Warning "$T/out" | cut -d: -f1)" \
	-lt "$(grep -n "touch your authenticator" "$T/out" | cut -d: -f1)"
like "  a warning that the key will be saved only" "$out" \
	"Warning: no agent to add the key to \(could not connect to the agent\); the key will be saved all the same."
ok "  the key is saved" reads '' "$K/add"
like "  and how to add it later" "$out" \
	"Could not add the key to the agent: could not connect to the agent.  The key is saved: add it later with ssh-add $K/add$"

done_testing
