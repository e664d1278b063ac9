#!/bin/bash
# agent-copy-id for a remote user who is not root, over a shell and over
# sftp: a file that user could not append to is never written (refused,
# unchanged); a hard link, a file owned by someone else that the user may
# write, and a directory the user may not write get the new lines appended
# in place; otherwise the file is replaced through a temporary file.  And
# -s on an account whose only command is internal-sftp (ForceCommand).
#
# The user is nobody, given a home in the scratch directory and /bin/sh as
# its shell by a private copy of /etc/passwd that only the test's sshd sees
# (a mount namespace): nothing on the system changes.
. "$(dirname "$0")/lib.sh"

[ -x "$COPYID" ] || bail "no $COPYID: run make"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # skip needs root: sshd must start sessions as another user"
	exit 0
fi
if ! unshare -m sh -c "mount --bind /etc/passwd /etc/passwd" 2>/dev/null; then
	echo "1..0 # skip needs unshare -m and mount --bind (a private /etc/passwd for the test user)"
	exit 0
fi
NB=$(id -u nobody) NBG=$(id -g nobody)
chmod 711 "$T"				# nobody reads its keys below
UH=$T/uhome
mkdir -p "$UH"
chown "$NB:$NBG" "$UH"
chmod 755 "$UH"
sed "s|^nobody:.*|nobody:x:$NB:$NBG:nobody:$UH:/bin/sh|" /etc/passwd >"$T/passwd"
cat >"$T/sshd-ns" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/passwd && exec /usr/sbin/sshd "\$@"' "$T/passwd" "\$@"
EOF
chmod 755 "$T/sshd-ns"
SSHD=$T/sshd-ns
AK=$UH/.ssh/authorized_keys
SSHD_MORE_AUTHKEYS="$AK" start_sshd ushell \
	"Subsystem sftp /usr/lib/openssh/sftp-server"
SHELL_PORT=$SSHD_PORT
SSHD_MORE_AUTHKEYS="$AK" start_sshd usftp "Subsystem sftp internal-sftp" \
	"ForceCommand internal-sftp"
SFTP_PORT=$SSHD_PORT

ssh-keygen -q -t ed25519 -N '' -C bootstrap -f "$T/boot" || bail keygen
cat "$T/boot.pub" >>"$T/ushell/authorized_keys"
cat "$T/boot.pub" >>"$T/usftp/authorized_keys"
for h in shell:$SHELL_PORT sftp:$SFTP_PORT; do
	cat >>"$T/ssh_config" <<-CONF
	Host $h
	  HostName 127.0.0.1
	  Port ${h#*:}
	  User nobody
	  UserKnownHostsFile $T/known_hosts
	  StrictHostKeyChecking yes
	  BatchMode yes
	  IdentityFile $T/boot
	  IdentitiesOnly yes
	  ConnectTimeout 10
	  LogLevel ERROR
	CONF
done
sed -i -e "s/^Host shell:.*/Host nb/" -e "s/^Host sftp:.*/Host nbsftp/" "$T/ssh_config"
for k in k1 k2 k3; do
	ssh-keygen -q -t ed25519 -N '' -C "key $k" -f "$T/$k" || bail keygen
done
KEYS=(-i "$T/k1.pub" -i "$T/k2.pub")
line() { cut -d' ' -f1,2 "$T/$1.pub"; }

copyid() {	# ARGS...: sets OUT, ERR, RC
	timeout 60 "$COPYID" -F "$T/ssh_config" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
show() { diag_file "$T/out"; diag_file "$T/err"; }
owner_mode() { stat -c '%u %a' "$1"; }
# Does nobody get in with the key?  (ssh to the shell, sftp to internal-sftp)
gets_in() {	# HOST KEY
	if [ "$1" = nb ]; then
		timeout 30 ssh -n -F "$T/ssh_config" -o "IdentityFile=$T/$2" \
			"$1" true >"$T/login.log" 2>&1
	else
		timeout 30 sftp -F "$T/ssh_config" -o "IdentityFile=$T/$2" \
			-b /dev/null "$1" >"$T/login.log" 2>&1
	fi || { diag_file "$T/login.log"; false; }
}
# A fresh ~/.ssh for nobody, with FILE's content as authorized_keys.
fresh() {	# CONTENT OWNER MODE
	rm -rf "$UH/.ssh"
	mkdir -m 700 "$UH/.ssh"
	chown "$NB:$NBG" "$UH/.ssh"
	printf '%s' "$1" >"$AK"
	chown "$2" "$AK"
	chmod "$3" "$AK"
	cp -p "$AK" "$T/ak.before"
	INODE=$(stat -c %i "$AK")
}
unchanged() { cmp -s "$AK" "$T/ak.before" && [ "$(stat -c %i "$AK")" = "$INODE" ]; }
no_temp() { ! ls -A "$UH/.ssh" | grep -q agent-copy-id; }

plan 55

ok "the test user gets a shell from the private passwd" \
	test "$(ssh -n -F "$T/ssh_config" nb 'id -u; echo $HOME')" = "$NB
$UH"

for mode in shell sftp; do
	if [ $mode = shell ]; then H=nb S=; else H=nbsftp S=-s; fi

	# A root-owned file the user may only read: never replaced.
	fresh "$(line k1)
" 0 644
	copyid $S "${KEYS[@]}" $H
	is "$mode: root-owned 0644 file, a key missing: exit 1" "$RC" 1
	like "$mode: refused, saying why" "$ERR" \
		"authorized_keys is not writable by the remote user \(mode -rw-r--r--, owner uid 0\): .*nothing was changed"
	ok "$mode: file, owner and inode unchanged" unchanged
	is "$mode: still root's" "$(owner_mode "$AK")" "0 644"
	copyid $S -i "$T/k1.pub" $H
	is "$mode: the same file with every key there: exit 0" "$RC" 0

	# A file of the user's own, mode 0400: the user could not append.
	fresh "$(line k1)
" "$NB" 400
	copyid $S "${KEYS[@]}" $H
	is "$mode: 0400 file: exit 1, nothing written" "$RC.$(unchanged && echo same)" "1.same"
	copyid $S -n "${KEYS[@]}" $H
	is "$mode: -n: exit 1 too" "$RC" 1
	like "$mode: -n says why" "$ERR" "not writable by the remote user"

	# A hard link: appended in place, the link kept.
	fresh "$(line k1)" "$NB" 600
	ln "$AK" "$T/other-name"
	copyid $S "${KEYS[@]}" $H
	is "$mode: hard-linked file: exit 0" "$RC" 0 || show
	is "$mode: hard link kept (same inode, link count 2)" \
		"$(stat -c '%i %h' "$AK")" "$INODE 2"
	is "$mode: appended in place, a newline first" "$(cat "$T/other-name")" "$(line k1)
$(line k2) key k2"
	rm -f "$T/other-name"

	# Root's file that the user may write: in place, still root's.
	fresh "" 0 666
	copyid $S "${KEYS[@]}" $H
	is "$mode: root-owned 0666 file: exit 0, appended in place" \
		"$RC $(stat -c %i "$AK") $(owner_mode "$AK")" "0 $INODE 0 666"

	# The user's file in a directory the user may not write.
	fresh "" "$NB" 600
	chown 0 "$UH/.ssh"
	chmod 755 "$UH/.ssh"
	copyid $S "${KEYS[@]}" $H
	is "$mode: read-only ~/.ssh, user's file: appended in place" \
		"$RC $(stat -c %i "$AK") $(grep -c ssh-ed25519 "$AK")" "0 $INODE 2"

	# The common case: replaced through a temporary file, mode kept.
	fresh "$(line k1)
bogus-option $(line k2) ignored
" "$NB" 640
	copyid $S "${KEYS[@]}" $H
	is "$mode: own file: exit 0" "$RC" 0 || show
	like "$mode: the key on an ignored line is added" "$OUT" "added: .* key k2"
	isnt_inode=$(stat -c %i "$AK")
	ok "$mode: replaced (a new inode)" test "$isnt_inode" != "$INODE"
	ok "$mode: old bytes first" cmp -s "$T/ak.before" \
		<(head -c "$(stat -c %s "$T/ak.before")" "$AK")
	is "$mode: owner and mode kept, no temporary file left" \
		"$(owner_mode "$AK") $(no_temp && echo clean)" "$NB 640 clean"
	ok "$mode: the new key gets in" gets_in "$H" k2

	# A new ~/.ssh
	rm -rf "$UH/.ssh"
	copyid $S "${KEYS[@]}" $H
	is "$mode: no ~/.ssh: exit 0" "$RC" 0 || show
	is "$mode: ~/.ssh 0700 and the file 0600, the user's" \
		"$(owner_mode "$UH/.ssh") $(owner_mode "$AK")" "$NB 700 $NB 600"
done

# -s against the sftp-only account, in detail
copyid -i "$T/k3.pub" nbsftp
is "sftp-only account without -s: exit 1" "$RC" 1
like "sftp-only account without -s: the error suggests -s" "$ERR" "use -s"
copyid -s -n -i "$T/k3.pub" nbsftp
is "-s -n: exit 0, would add" "$RC $(grep -c '^would add' "$T/out")" "0 1"
fails "-s -n: nothing written" grep -q "key k3" "$AK"
copyid -s -x -i "$T/k1.pub" -i "$T/k3.pub" nbsftp
is "-s: k3 added, k1 already there" "$RC $(grep -c '^added' "$T/out") $(grep -c '^already' "$T/out")" "0 1 1" || show
like "-s -x: the sftp conversation" "$ERR" "trace: sftp: OPEN .ssh/authorized_keys"
like "-s -x: a temporary file renamed with posix-rename" "$ERR" \
	"trace: sftp: EXTENDED posix-rename@openssh.com .ssh/authorized_keys"
like "-s: the hint names sftp" "$OUT" "Now try logging into the machine, with: sftp -F $T/ssh_config nbsftp"
ok "-s: k3 gets in" gets_in nbsftp k3
cp "$AK" "$T/ak.3"
copyid -s "${KEYS[@]}" -i "$T/k3.pub" nbsftp
is "-s again: nothing to add, file unchanged" \
	"$RC $(grep -c '^already' "$T/out") $(cmp -s "$AK" "$T/ak.3" && echo same)" "0 3 same"
ln -s authorized_keys "$UH/.ssh/link"
copyid -s -t .ssh/link -i "$T/k1.pub" nbsftp
is "-s: a symlink without -f: exit 1" "$RC" 1
like "-s: a symlink is refused without -f" "$ERR" "symbolic link; refusing to follow it"

done_testing
