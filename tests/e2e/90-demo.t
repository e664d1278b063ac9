#!/bin/bash
# make demo keeps working: the whole flow, no hardware, every step passes;
# every command it prints can be pasted as shown (read back by sh, it is
# the command the demo ran, word for word); the touch notices show as a
# user sees them on a terminal.
. "$(dirname "$0")/lib.sh"

out=$(DEMO_ARGV=$T/argv "$TOP/scripts/demo" 2>&1)
is "the demo runs to the end" "$?" 0 || printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
like "it makes the key on the token" "$out" "agent-keygen -t ed25519-sk"
like "the agent holds it" "$out" "\(ED25519-SK\)"
like "agent-copy-id installs it" "$out" "1 key added"
like "ssh logs in with it" "$out" "key accepted"
like "git-style signature verifies" "$out" 'Good "git" signature for demo@example with ED25519-SK key'
fails "it leaves nothing behind" sh -c 'ls -d "${TMPDIR:-/tmp}"/skagent-demo.* 2>/dev/null | grep -q .'

# Each "$ " line, read back by sh, is the command run (eval "$(...)" and a
# final "< FILE" taken apart first).
printf '%s\n' "$out" | sed -n 's/^\$ //p' >"$T/lines"
n=0 bad=0
while IFS= read -r line; do
	n=$((n + 1))
	sh -n -c "$line" 2>/dev/null || { bad=$((bad + 1)); diag "not shell: $line"; continue; }
	cmd=$line
	case $cmd in
	'eval "$('*')"') cmd=${cmd#'eval "$('} cmd=${cmd%')"'} ;;
	esac
	case $cmd in
	*' < '*)
		in=$(sh -c "printf '%s' ${cmd##* < }")
		cmd=${cmd% < *}
		case $in in */commit) ;; *) bad=$((bad + 1)); diag "input: $in" ;; esac
		;;
	esac
	got=$(sh -c "printf '%s\\0' $cmd" | od -An -tx1 | tr -d ' \n')
	[ "$got" = "$(sed -n "${n}p" "$T/argv")" ] ||
		{ bad=$((bad + 1)); diag "read back otherwise: $line"; }
done <"$T/lines"
is "every command shown ($n) is the one run, read back by sh" "$bad" 0
is "  and each one run was shown" "$n" "$(wc -l <"$T/argv")"
like "  quoting where needed" "$(cat "$T/lines")" "-C 'demo key'"

# The touch notices, as a user sees them.
like "agent-keygen asks for the touch" "$out" \
	"^  You may need to touch your authenticator to authorize key generation\.$"
like "the agent's notice on ssh's terminal, naming key, token, requester and use" "$out" \
	"^  Confirm user presence for key ED25519-SK SHA256:[^ ]+ \(demo key\) on security key unix:.* requested by ssh \([0-9]+\) for a login as .* \(skagent\)$"
like "and on ssh-keygen -Y sign's" "$out" \
	"requested by ssh-keygen \([0-9]+\) for an SSHSIG signature \(namespace git\) \(skagent\)$"
done_testing
