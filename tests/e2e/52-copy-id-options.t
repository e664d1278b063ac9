#!/bin/bash
# agent-copy-id reads authorized_keys options as sshd does.  One key per
# line, each behind an option text; stock sshd says which keys it lets in
# (a login with each), agent-copy-id -n says which it counts as installed:
# the two must agree, line for line.  Then the keys on lines sshd ignores
# are added on new lines, the old lines left as they were, and every key
# gets in.
. "$(dirname "$0")/lib.sh"

[ -x "$COPYID" ] || bail "no $COPYID: run make"
R=$T/rhome
AK=$R/.ssh/authorized_keys
mkdir -p "$R/.ssh" "$T/keys"
chmod 755 "$R"
SSHD_MORE_AUTHKEYS="$AK" start_sshd alpha "SetEnv HOME=$R"
LOG=$T/alpha/sshd.log
ssh-keygen -q -t ed25519 -N '' -C bootstrap -f "$T/boot" || bail keygen
cat "$T/boot.pub" >>"$T/alpha/authorized_keys"
cat >>"$T/ssh_config" <<CONF
Host boot
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $(id -un)
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  IdentityFile $T/boot
  IdentitiesOnly yes
  ConnectTimeout 10
  LogLevel ERROR
CONF

# Option texts: the issue's cases, then every option sshd knows, good and
# bad.  (from= patterns match 127.0.0.1, where the logins come from.)
cat >"$T/cases" <<'EOF'
bogus-option
no-pty,permit-evrything
expiry-time="20200101"
expiry-time="20991231"
expiry-time="20991231235959Z"
expiry-time="209912312359UTC"
expiry-time="2099123"
command="echo hi",no-pty
restrict
restrict,pty,port-forwarding
from="127.0.0.1"
from="!10.0.0.0/8,127.0.0.0/8"
from="10.0.0.1/8,127.0.0.1"
from="127.0.0.1,"
principals="alice"
cert-authority
no-pty, 
,no-agent-forwarding
command=abc
command="a",command="b"
tunnel="any"
tunnel="x"
permitopen="host:80",permitopen="[::1]:ssh"
permitopen="host:bogusname"
permitlisten="8080"
permitlisten="0"
environment="A=b c"
environment="A-B=c"
NO-X11-FORWARDING,No-User-Rc
no-restrict
verify-required
pty="x"
EOF
n=0
: >"$AK"
while IFS= read -r opts; do
	ssh-keygen -q -t ed25519 -N '' -C "case $n" -f "$T/keys/k$n" || bail keygen
	printf '%s %s old line %s\n' "$opts" "$(cut -d' ' -f1,2 "$T/keys/k$n.pub")" "$n" >>"$AK"
	n=$((n + 1))
done <"$T/cases"
chmod 600 "$AK"
cp "$AK" "$T/ak.orig"

# sshd's verdicts, eight logins at a time: $T/v/N says whether a login
# with key N got in (every command here, forced ones too, exits 0).
verdicts() {	# N...
	local i pids=()
	rm -rf "$T/v"
	mkdir "$T/v"
	for i in "$@"; do
		if [ "${#pids[@]}" -ge 8 ]; then
			wait "${pids[@]}"
			pids=()
		fi
		{
			if timeout 30 ssh -n -F "$T/ssh_config" \
			    -o "IdentityFile=$T/keys/k$i" -o IdentitiesOnly=yes \
			    alpha true >/dev/null 2>&1; then
				echo accepted >"$T/v/$i"
			else
				echo refused >"$T/v/$i"
			fi
		} &
		pids+=($!)
	done
	wait "${pids[@]}"
}
ids=()
for ((i = 0; i < n; i++)); do
	ids+=(-i "$T/keys/k$i.pub")
done

plan 13

timeout 60 "$COPYID" -F "$T/ssh_config" -n "${ids[@]}" boot >"$T/out" 2>"$T/err"
is "-n over $n keys: exit 0" "$?" 0 || diag_file "$T/err"
verdicts $(seq 0 $((n - 1)))
bad=
verdicts=
refused=
for ((i = 0; i < n; i++)); do
	opts=$(sed -n "$((i + 1))p" "$T/cases")
	sshd=$(cat "$T/v/$i")
	[ "$sshd" = accepted ] || refused="$refused $i"
	if grep -q "^already installed: .* case $i\( (restricted: .*)\)\?$" "$T/out"; then
		ours=accepted
	elif grep -q "^would add: .* case $i$" "$T/out"; then
		ours=refused
	else
		ours=missing
	fi
	verdicts="$verdicts$sshd	$opts
"
	[ "$sshd" = "$ours" ] || bad="$bad
  sshd $sshd, agent-copy-id $ours: $opts"
done
is "every line: installed for agent-copy-id exactly when sshd lets the key in" "$bad" ""
diag "sshd's verdicts:"
printf '%s' "$verdicts" | _tap_comment
is "the issue's cases (unknown option, misspelt option, past expiry-time) are not installed" \
	"$(grep -cE '^would add: .* case (0|1|2)$' "$T/out")" 3
like "a restricted line counts, and says so" "$(grep ' case 7 ' "$T/out")" \
	"^already installed: ssh-ed25519 .* case 7 \(restricted: no-pty, command\)$"
like "restrict, then pty and port-forwarding again: what is still restricted" \
	"$(grep ' case 9 ' "$T/out")" "\(restricted: no-agent-forwarding, no-x11-forwarding, no-user-rc\)$"
like "expiry-time named" "$(grep ' case 4 ' "$T/out")" "case 4 \(restricted: expiry-time\)$"
like "from= named" "$(grep ' case 10 ' "$T/out")" "case 10 \(restricted: from\)$"
like "an ignored line is named, with sshd's reason" "$(cat "$T/err")" \
	"note: line 2 of .ssh/authorized_keys holds SHA256:[^ ]+, but sshd ignores that line \(unknown key option\); it is left as it is"
like "an expired line: said so" "$(cat "$T/err")" \
	"note: line 3 of .ssh/authorized_keys holds .*its expiry-time has passed"
ok "-n changed nothing" cmp -s "$AK" "$T/ak.orig"

# The install: new lines for the refused keys only, old lines untouched.
nrefused=$(grep -c "^would add:" "$T/out")
timeout 60 "$COPYID" -F "$T/ssh_config" "${ids[@]}" boot >"$T/out" 2>"$T/err"
is "install: exit 0" "$?" 0 || diag_file "$T/err"
ok "install: the old file is kept byte for byte, the new lines after it" \
	cmp -s <(head -c "$(stat -c %s "$T/ak.orig")" "$AK") "$T/ak.orig"
# (the lines sshd accepted are unchanged, as the cmp above shows)
keys=
for i in $refused; do
	case $(sed -n "$((i + 1))p" "$T/cases") in
	cert-authority|principals=*) ;;	# not keys to log in with
	*) keys="$keys $i" ;;
	esac
done
verdicts $keys
bad=
for i in $keys; do
	[ "$(cat "$T/v/$i")" = accepted ] || bad="$bad $i"
done
is "afterwards sshd lets in every key ($nrefused added on new lines)" "$bad" ""

done_testing
