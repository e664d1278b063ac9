#!/bin/bash
# agent-copy-id against a stock sshd whose session HOME is $R: keys from
# stock ssh-agent or from files, one login per run, the duplicate check,
# byte-for-byte preservation, modes, symlinks, dry runs, and files that stay
# whole when the connection drops or the remote side fails.
. "$(dirname "$0")/lib.sh"

[ -x "$COPYID" ] || bail "no $COPYID: run make"
R=$T/rhome			# the remote user's home
AK=$R/.ssh/authorized_keys
mkdir -p "$R" "$T/rbin" "$T/lhome" "$T/fakebin" "$T/empty"
chmod 755 "$R"
SSHD_MORE_AUTHKEYS="$AK $R/.ssh/linked $R/abs/keys" \
	start_sshd alpha "SetEnv HOME=$R PATH=$T/rbin:/usr/bin:/bin"
LOG=$T/alpha/sshd.log

# "boot" gets in with a bootstrap key only, as a password would; "alpha"
# (the harness's host) only with the agent's keys.
ssh-keygen -q -t ed25519 -N '' -C bootstrap -f "$T/boot" || bail keygen
cat "$T/boot.pub" >>"$T/alpha/authorized_keys"
cat >>"$T/ssh_config" <<CONF
Host boot
  HostName 127.0.0.1
  Port $SSHD_PORT
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  IdentityFile $T/boot
  IdentitiesOnly yes
  KexAlgorithms curve25519-sha256
  ConnectTimeout 10
  LogLevel ERROR
CONF

for k in k1:ed25519 k2:ecdsa k3:ed25519 k4:rsa; do
	ssh-keygen -q -t "${k#*:}" -N '' -C "key ${k%:*}" -f "$T/${k%:*}" ||
		bail keygen
done
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" || bail keygen
ssh-keygen -q -s "$T/ca" -I cert1 -n root "$T/k1.pub" 2>/dev/null ||
	bail "ssh-keygen -s"
eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
_bg_pids="$_bg_pids $SSH_AGENT_PID"
ssh-add -q "$T/k1" "$T/k2" 2>/dev/null || bail ssh-add	# k1 with its cert
export HOME=$T/lhome

# The fingerprint ssh-keygen prints, as an extended regex.
fp() { ssh-keygen -lf "$1" | awk '{print $2}' | sed 's/[+/]/\\&/g'; }
rawfp() { ssh-keygen -lf "$1" | awk '{print $2}'; }
logins() { grep -c "Accepted publickey" "$LOG"; }
# copyid ARGS...: runs the tool; OUT, ERR, RC and LOGINS (this run's) set.
copyid() {
	local before
	before=$(logins)
	timeout 60 "$COPYID" -F "$T/ssh_config" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	LOGINS=$(($(logins) - before))
}
show() { diag_file "$T/out"; diag_file "$T/err"; }
field2() { awk '{print $1" "$2}' "$1"; }	# type and blob of a .pub

plan 98

# Command line
"$COPYID" -h >"$T/out" 2>&1
is "-h exits 0" $? 0
like "-h prints the usage" "$(cat "$T/out")" "^usage: agent-copy-id .*-i \[identity_file\]"
"$COPYID" --help >/dev/null 2>&1
is "--help exits 0" $? 0
"$COPYID" 2>"$T/err"
is "no host: exit 2" $? 2
like "no host: says so" "$(cat "$T/err")" "no host given"
"$COPYID" -q host 2>"$T/err"
is "unknown option: exit 2" $? 2
like "unknown option: named" "$(cat "$T/err")" "unknown option -q"
"$COPYID" host1 host2 2>/dev/null
is "two hosts: exit 2" $? 2
ok "man page: mandoc -Tlint clean" mandoc -Tlint -Wwarning "$TOP/tools/agent-copy-id.1"
missing=
for f in f h i n p o F s t x; do
	grep -q "^\.It Fl $f\|Fl $f ,\|, Fl $f" "$TOP/tools/agent-copy-id.1" || missing="$missing man:-$f"
	"$COPYID" -h | grep -q -- "^  -$f\|, -$f" || missing="$missing help:-$f"
done
is "every option in both --help and the man page" "$missing" ""

# No agent, no key file
SSH_AUTH_SOCK= HOME=$T/empty copyid boot
is "no agent, no key file: exit 1" "$RC" 1
like "no agent, no key file: clear message" "$ERR" "no keys to install: no agent.*no ~/.ssh/id\*.pub"
is "no agent, no key file: no login" "$LOGINS" 0

fails "before: the agent's keys do not get in" ssh_to alpha true 2>/dev/null

# Dry run on a host with no ~/.ssh
copyid -n boot
is "-n with keys missing: exit 0, as ssh-copy-id -n" "$RC" 0
like "-n names the keys it would add" "$OUT" "would add: ssh-ed25519 $(fp "$T/k1.pub") key k1"
like "-n: summary" "$OUT" "2 keys would be added, 0 already installed"
ok "-n created nothing" test ! -e "$R/.ssh"
is "-n: one login" "$LOGINS" 1
is "before logging in, the keys it considers (ssh-copy-id's INFO lines)" \
	"$(grep INFO "$T/err")" \
"agent-copy-id: INFO: key(s) to install, from the agent:
agent-copy-id: INFO:   ssh-ed25519 $(rawfp "$T/k1.pub") key k1
agent-copy-id: INFO:   ecdsa-sha2-nistp256 $(rawfp "$T/k2.pub") key k2
agent-copy-id: INFO: reading .ssh/authorized_keys on boot -- if you are prompted now it is to log in there"
fails "-n: no \"Now try logging in\" hint" grep -q "Now try" "$T/out"

# First install
copyid boot
is "install: exit 0" "$RC" 0 || show
like "install: ed25519 added, with fingerprint and comment" "$OUT" "^added: ssh-ed25519 $(fp "$T/k1.pub") key k1$"
like "install: ecdsa added" "$OUT" "added: ecdsa-sha2-nistp256 $(fp "$T/k2.pub") key k2"
like "install: the agent's certificate skipped, said so" "$ERR" "skipping certificate ssh-ed25519-cert-v01@openssh.com"
is "install: exactly one ssh login" "$LOGINS" 1
is "install: the file holds exactly the agent's two keys" \
	"$(field2 "$AK")" "$(cat "$T/k1.pub" "$T/k2.pub" | awk '{print $1" "$2}')"
is "install: ~/.ssh is 0700" "$(stat -c %a "$R/.ssh")" 700
is "install: authorized_keys is 0600" "$(stat -c %a "$AK")" 600
is "a fresh ssh with only the agent's keys gets in" "$(ssh_to alpha echo in)" in
is "after success, ssh-copy-id's hint with the command to try" \
	"$(tail -n 3 "$T/out")" "
Now try logging into the machine, with: ssh -F $T/ssh_config boot
and check to make sure that only the key(s) you wanted were added."
cp "$AK" "$T/ak.1"

# Again: nothing to add
copyid boot
is "re-run: exit 0" "$RC" 0
like "re-run: says already installed" "$OUT" "already installed: ssh-ed25519 $(fp "$T/k1.pub")"
like "re-run: adds nothing" "$OUT" "0 keys added, 2 already installed"
fails "re-run: nothing added, no hint" grep -q "Now try" "$T/out"
ok "re-run: file unchanged" cmp -s "$AK" "$T/ak.1"
is "re-run: one login" "$LOGINS" 1
copyid -n boot
is "-n with every key there: exit 0" "$RC" 0

# Existing content, options, CRLF, no final newline, mode 0640
k1=$(cut -d' ' -f1,2 "$T/k1.pub")
k2=$(cut -d' ' -f1,2 "$T/k2.pub")
{
	printf '# hand-made\n\n'
	printf 'command="echo \\"a b\\"",no-pty %s old, comment\r\n' "$k1"
	printf 'cert-authority %s\n' "$k2"
	printf '  ssh-rsa AAAAnot-base64 junk\n'
	printf '\t%s last line, no newline' "$(cut -d' ' -f1,2 "$T/boot.pub")"
} >"$AK"
chmod 640 "$AK"
cp "$AK" "$T/ak.2"
copyid boot
is "existing file: exit 0" "$RC" 0 || show
like "a key behind quoted options is found" "$OUT" "already installed: ssh-ed25519 $(fp "$T/k1.pub")"
like "a cert-authority line is not the key" "$OUT" "added: ecdsa-sha2-nistp256 $(fp "$T/k2.pub")"
size=$(stat -c %s "$T/ak.2")
ok "old bytes kept byte for byte" cmp -s <(head -c "$size" "$AK") "$T/ak.2"
is "a newline, then the new key" "$(tail -c +$((size + 1)) "$AK" | head -c 6 | od -An -c | tr -s ' ')" " \\n e c d s a"
is "new key line is type, key, comment" "$(tail -n 1 "$AK")" "$k2 key k2"
is "mode 0640 kept" "$(stat -c %a "$AK")" 640
chmod 600 "$AK"

# -i: a .pub, a private file's name, a missing file
copyid -i "$T/k3.pub" boot
is "-i k3.pub: exit 0" "$RC" 0 || show
like "-i k3.pub: that key alone" "$OUT" "^added: ssh-ed25519 $(fp "$T/k3.pub") key k3
1 key added, 0 already installed.$"
is "-i: one login" "$LOGINS" 1
copyid -i "$T/k4" boot
like "-i k4 (private name): k4.pub added" "$OUT" "^added: ssh-rsa $(fp "$T/k4.pub") key k4"
ok "-i k4: line present" grep -qF "$(cut -d' ' -f1,2 "$T/k4.pub")" "$AK"
cp "$AK" "$T/ak.i"
copyid -i "$T/k3.pub" -i "$T/k4" -i "$T/k1.pub" boot
is "-i three times: exit 0" "$RC" 0 || show
is "-i three times: each file's key considered" "$(grep "^already" "$T/out")" \
"already installed: ssh-ed25519 $(rawfp "$T/k3.pub") key k3
already installed: ssh-rsa $(rawfp "$T/k4.pub") key k4
already installed: ssh-ed25519 $(rawfp "$T/k1.pub") key k1 (restricted: no-pty, command)"
is "-i three times: INFO lines name each source" "$(grep -o "from .*:$" "$T/err")" \
"from $T/k3.pub:
from $T/k4.pub:
from $T/k1.pub:"
is "-i three times: one login" "$LOGINS" 1
ok "-i three times: file unchanged" cmp -s "$AK" "$T/ak.i"
copyid -i "$T/k1.pub" -i "$T/nope" boot
is "-i missing file: exit 1" "$RC" 1
like "-i missing file: says which" "$ERR" "cannot read $T/nope.pub"
is "-i missing file: no login" "$LOGINS" 0

# Default key file: the newest id*.pub, never a -cert.pub
mkdir -p "$T/lhome/.ssh"
cp "$T/k3.pub" "$T/lhome/.ssh/id_old.pub"
touch -d '2020-01-01' "$T/lhome/.ssh/id_old.pub"
ssh-keygen -q -t ed25519 -N '' -C newest -f "$T/lhome/.ssh/id_new"
touch -d '2021-01-01' "$T/lhome/.ssh/id_new.pub"
cp "$T/k4.pub" "$T/lhome/.ssh/id_zz-cert.pub"
copyid -i boot
like "-i without a file: newest id*.pub" "$OUT" "^added: ssh-ed25519 $(fp "$T/lhome/.ssh/id_new.pub") newest"
SSH_AUTH_SOCK=$T/no-agent.sock copyid boot
is "no agent: falls back to the newest id*.pub" "$RC" 0
like "no agent: id_new.pub already installed" "$OUT" "already installed: ssh-ed25519 $(fp "$T/lhome/.ssh/id_new.pub")"

# Security-key options from an unencrypted sk private key file
u32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
sstr() { LC_ALL=C; u32 ${#1}; printf '%s' "$1"; }
fstr() { u32 "$(stat -c %s "$1")"; cat "$1"; }
head -c 32 /dev/urandom >"$T/sk.pk"
head -c 16 /dev/urandom >"$T/sk.kh"
{ sstr sk-ssh-ed25519@openssh.com; fstr "$T/sk.pk"; sstr ssh:; } >"$T/sk.blob"
{
	u32 7; u32 7; sstr sk-ssh-ed25519@openssh.com; fstr "$T/sk.pk"
	sstr ssh:; printf '\x04'; fstr "$T/sk.kh"; sstr ''; sstr 'sk key'
} >"$T/sk.priv"
n=$(stat -c %s "$T/sk.priv")
i=1
while [ $(((n + i - 1) % 8)) -ne 0 ]; do printf "\\x0$i" >>"$T/sk.priv"; i=$((i + 1)); done
{
	printf 'openssh-key-v1\0'; sstr none; sstr none; sstr ''; u32 1
	fstr "$T/sk.blob"; fstr "$T/sk.priv"
} >"$T/sk.bin"
{
	echo "-----BEGIN OPENSSH PRIVATE KEY-----"
	base64 -w 70 "$T/sk.bin"
	echo "-----END OPENSSH PRIVATE KEY-----"
} >"$T/sk"
chmod 600 "$T/sk"	# as every private key file (ssh refuses others)
echo "sk-ssh-ed25519@openssh.com $(base64 -w 0 "$T/sk.blob") sk key" >"$T/sk.pub"
copyid -i "$T/sk" boot
is "-i sk key: exit 0" "$RC" 0 || show
like "-i sk key (verification, no presence): both options" "$OUT" "added: sk-ssh-ed25519@openssh.com $(fp "$T/sk.pub") sk key \(with no-touch-required,verify-required\)"
is "sk line written with the options" "$(tail -n 1 "$AK")" "no-touch-required,verify-required $(cat "$T/sk.pub")"
copyid -i "$T/sk.pub" -t .ssh/other boot
is ".pub alone still reads the private file beside it" "$(cat "$R/.ssh/other")" "no-touch-required,verify-required $(cat "$T/sk.pub")"
cp "$T/sk.pub" "$R/.ssh/other"
copyid -i "$T/sk" -t .ssh/other boot
like "sk key present without the option it needs: found" "$OUT" "already installed: sk-ssh-ed25519@openssh.com"
like "sk key present without the option it needs: warned" "$ERR" "warning: $(fp "$T/sk.pub") is installed without no-touch-required"
rm -f "$R/.ssh/other"

# Symlinked authorized_keys (through -t)
printf 'old\n' >"$R/real_keys"
ln -s ../real_keys "$R/.ssh/linked"
copyid -t .ssh/linked boot
is "symlink: exit 1" "$RC" 1
like "symlink: refused, clearly" "$ERR" "symbolic link; refusing to follow it"
is "symlink: target untouched" "$(cat "$R/real_keys")" old
copyid -f -t .ssh/linked boot
is "symlink with -f: exit 0" "$RC" 0 || show
ok "symlink with -f: still a symlink" test -h "$R/.ssh/linked"
is "symlink with -f: keys appended to the target" "$(field2 "$R/real_keys")" "old 
$k1
$k2"

# Absolute -t, a directory to create, a group-writable one
copyid -t "$R/abs/keys" boot
is "absolute -t: exit 0" "$RC" 0 || show
is "absolute -t: directory 0700, file 0600" "$(stat -c %a "$R/abs") $(stat -c %a "$R/abs/keys")" "700 600"
chmod 775 "$R/.ssh"
copyid -n boot
like "group-writable ~/.ssh: warned" "$ERR" "remote directory .ssh is writable by group or others"
chmod 700 "$R/.ssh"

# -x: a trace of what runs, as ssh-copy-id -x
copyid -n -x boot
is "-x: exit 0" "$RC" 0
like "-x: the ssh command" "$ERR" "agent-copy-id: trace: running ssh -a -x -T -o RemoteCommand=none -F $T/ssh_config -- boot 'exec sh -c"
like "-x: the remote side's replies" "$ERR" "agent-copy-id: trace: remote: keys file [0-9]+"
like "-x: the remote script runs under set -x" "$ERR" "^\+ cd$"
# each line of ours is one write(2): ssh writes the remote's trace to the
# same stderr at the same time, and a line written in parts is cut by it
if command -v strace >/dev/null 2>&1 && [ -z "${SKA_VALGRIND:-}" ]; then
	strace -qq -e trace=write -e signal=none -s 64 -o "$T/writes" \
		"$COPYID" -F "$T/ssh_config" -n -x boot >/dev/null 2>&1
	fails "-x: each line of ours in one write (never cut by the remote's)" \
		grep -E '^write\(2, "agent-copy-id: (trace: )?"' "$T/writes"
	ok "  (the trace's writes were seen)" \
		grep -qE '^write\(2, "agent-copy-id: trace: remote: ' "$T/writes"
else
	skip "no strace here (or under valgrind)"
	skip "no strace here"
fi
copyid -n boot
fails "without -x: no trace" grep -q "trace:\|^+ " "$T/err"

# -s where sshd offers no sftp subsystem
copyid -s -n boot
is "-s without an sftp subsystem: exit 1" "$RC" 1
like "-s without an sftp subsystem: ssh's reason and ours" "$ERR" "subsystem request failed.*
agent-copy-id: ssh to boot failed \(see above\); nothing was changed"

# Unreachable host
port=$((SSHD_PORT + 1))
while ! _port_free "$port"; do port=$((port + 1)); done
copyid -p "$port" boot
is "unreachable: exit 1" "$RC" 1
like "unreachable: ssh's reason and ours" "$ERR" "Connection refused.*
agent-copy-id: ssh to boot failed \(see above\); nothing was changed"

# Login scripts that print: skipped
echo 'echo "noise from .bashrc"; : >"$HOME/bashrc-ran"' >"$R/.bashrc"
copyid -n boot
if [ -e "$R/bashrc-ran" ]; then
	is "a printing .bashrc does not confuse the conversation" "$RC" 0
else
	skip "the login shell does not read .bashrc"
fi
rm -f "$R/.bashrc" "$R/bashrc-ran"

# A connection that drops anywhere before "commit" changes nothing.
real_ssh=$(command -v ssh)
cat >"$T/fakebin/ssh" <<EOF
#!/bin/bash
# ssh whose input ends after the script line and \$CUT more bytes
{ IFS= read -r s; printf '%s\\n' "\$s"
  if [ -n "\${CUT:-}" ]; then head -c "\$CUT"; else cat; fi
} | tee "$T/wire" | "$real_ssh" "\$@"
EOF
chmod +x "$T/fakebin/ssh"
cp "$AK" "$T/ak.3"
PATH=$T/fakebin:$PATH copyid -f -t .ssh/scratch boot
is "wrapped ssh works" "$RC" 0
verdict=$(($(stat -c %s "$T/wire") - $(head -n 1 "$T/wire" | wc -c)))
whole=1
for cut in 0 1 20 $((verdict / 2)) $((verdict - 8)) $((verdict - 1)); do
	CUT=$cut PATH=$T/fakebin:$PATH copyid -f boot
	if [ "$RC" = 0 ] || ! cmp -s "$AK" "$T/ak.3" ||
	    [ -n "$(ls -A "$R/.ssh" | grep agent-copy-id)" ]; then
		diag "cut after $cut of $verdict bytes: exit $RC"
		show
		whole=0
	fi
done
is "cut anywhere in the $verdict-byte verdict: file whole, no temp file" "$whole" 1
like "a cut after the verdict began: says so" "$ERR" "connection ended before boot confirmed the change"

# The remote side fails, or dies, just before the rename.
printf '#!/bin/sh\nexit 1\n' >"$T/rbin/mv"
chmod +x "$T/rbin/mv"
copyid -f boot
is "mv fails: exit 1" "$RC" 1
like "mv fails: says so" "$ERR" "cannot rename the new file into place; nothing was changed"
ok "mv fails: file unchanged" cmp -s "$AK" "$T/ak.3"
is "mv fails: temporary file removed" "$(ls -A "$R/.ssh" | grep -c agent-copy-id)" 0
printf '#!/bin/sh\nkill -9 $PPID\n' >"$T/rbin/mv"
copyid -f boot
is "shell killed before rename: exit 1" "$RC" 1
ok "shell killed before rename: file unchanged" cmp -s "$AK" "$T/ak.3"
rm -f "$T/rbin/mv" "$R/.ssh/.agent-copy-id".*
copyid boot
is "afterwards all is well" "$RC" 0

done_testing
