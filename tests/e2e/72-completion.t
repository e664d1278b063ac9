#!/bin/bash
# Bash completion (completion/NAME, installed as NAME): each file sources
# cleanly and registers its function; completions are asked the way bash
# asks (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT, then the function)
# and COMPREPLY is checked.  The options offered after "-" are exactly
# those of the program's --help, for every program built here.
. "$(dirname "$0")/lib.sh"

C=$TOP/completion
LIST="$TOP/tests/lint/man-options.pl --list"

# A fresh bash per question: sources FILE, completes LINE (the cursor at
# its end; a trailing space starts a new word), prints COMPREPLY sorted on
# one line.  HOME is the test's, so no user configuration comes in.
complete_line() {	# FILE LINE
	HOME=$T/home bash --norc --noprofile -c '
		. "$1" || exit 1
		read -r -a COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$2 COMP_POINT=${#2}
		spec=$(complete -p "${COMP_WORDS[0]}") || exit 1
		fn=${spec#*-F }
		fn=${fn%% *}
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " " |
			sed "s/ $//"' sh "$@"
}

mkdir -p "$T/home/.ssh" "$T/files/sub"
: >"$T/files/key1.pub"
: >"$T/files/key2"
printf 'Host alpha beta\n  Port 2222\nHost *.example.org\nHost gamma\n' >"$T/home/.ssh/config"
printf 'delta.example.org,192.0.2.7 ssh-ed25519 AAAA\n[epsilon]:2200 ssh-ed25519 AAAA\n|1|hashed= ssh-ed25519 AAAA\n' \
	>"$T/home/.ssh/known_hosts"
printf 'Host zeta\n' >"$T/other_config"

for f in skagent agent-keygen agent-copy-id; do
	ok "$f: bash -n" bash -n "$C/$f"
	fn=_${f//-/_}
	is "$f: sourcing registers $fn" \
		"$(bash --norc --noprofile -c '. "$1" && complete -p "$2"' sh "$C/$f" "$f")" \
		"complete -F $fn $f"
done

# skagent
is "skagent -E: the hashes" "$(complete_line "$C/skagent" "skagent -E ")" "md5 sha256"
is "skagent -O: the options" "$(complete_line "$C/skagent" "skagent -O ")" \
	"allow-remote-pkcs11 confirm-forwarded hide-absent no-restrict-websafe websafe-allow="
is "skagent -O no-: completes the word" "$(complete_line "$C/skagent" "skagent -O no-")" \
	"no-restrict-websafe"
is "skagent -a: files" "$(complete_line "$C/skagent" "skagent -a $T/files/k")" \
	"$T/files/key1.pub $T/files/key2"
is "skagent --token u: unix:" "$(complete_line "$C/skagent" "skagent --token u")" "unix:"
is "skagent -t: nothing to offer" "$(complete_line "$C/skagent" "skagent -t ")" ""
is "skagent --pin-cache: nothing to offer" "$(complete_line "$C/skagent" "skagent --pin-cache ")" ""
like "skagent --notify-cmd no: a command" "$(complete_line "$C/skagent" "skagent --notify-cmd noh")" "(^| )nohup( |$)"
like "skagent -D ba: a command" "$(complete_line "$C/skagent" "skagent -D ba")" "(^| )bash( |$)"
is "skagent ... bash: after the command, its arguments (files, without bash-completion)" \
	"$(complete_line "$C/skagent" "skagent -t 1h bash $T/files/key")" \
	"$T/files/key1.pub $T/files/key2"

# agent-keygen
is "agent-keygen -t: the key types" "$(complete_line "$C/agent-keygen" "agent-keygen -t ")" \
	"ecdsa ecdsa-sk ed25519 ed25519-sk rsa"
is "agent-keygen -t ecdsa -b: the curves" \
	"$(complete_line "$C/agent-keygen" "agent-keygen -t ecdsa -b ")" "256 384 521"
is "agent-keygen -t rsa -b: rsa sizes" \
	"$(complete_line "$C/agent-keygen" "agent-keygen -t rsa -b ")" "2048 3072 4096"
is "agent-keygen -O: the security-key options" \
	"$(complete_line "$C/agent-keygen" "agent-keygen -O ")" \
	"application= challenge= device= no-touch-required resident user= verify-required write-attestation="
# bash splits "write-attestation=FILE" at "=" (COMP_WORDBREAKS) into three
# words; without "=" there it stays one.
is "agent-keygen -O write-attestation=: files" \
	"$(complete_line "$C/agent-keygen" "agent-keygen -O write-attestation = $T/files/key")" \
	"$T/files/key1.pub $T/files/key2"
is "agent-keygen -O challenge=: files, as one word too" \
	"$(complete_line "$C/agent-keygen" "agent-keygen -O challenge=$T/files/key")" \
	"challenge=$T/files/key1.pub challenge=$T/files/key2"
is "agent-keygen -p -O: the flags -p changes" \
	"$(complete_line "$C/agent-keygen" "agent-keygen -p -f key -O ")" \
	"no-touch-required no-verify-required touch-required verify-required"
is "agent-keygen -l -E: the hashes" "$(complete_line "$C/agent-keygen" "agent-keygen -l -E ")" \
	"md5 sha256"
is "agent-keygen -f: files" "$(complete_line "$C/agent-keygen" "agent-keygen -f $T/files/s")" \
	"$T/files/sub"
is "agent-keygen --token unix: offered" "$(complete_line "$C/agent-keygen" "agent-keygen --token u")" \
	"unix:"

# agent-copy-id
is "agent-copy-id: hosts from ssh_config and known_hosts" \
	"$(complete_line "$C/agent-copy-id" "agent-copy-id ")" \
	"192.0.2.7 alpha beta delta.example.org epsilon gamma"
is "agent-copy-id al: one host" "$(complete_line "$C/agent-copy-id" "agent-copy-id -n al")" "alpha"
is "agent-copy-id bob@: hosts with the user" \
	"$(complete_line "$C/agent-copy-id" "agent-copy-id bob@g")" "bob@gamma"
is "agent-copy-id -F FILE: that file's hosts" \
	"$(complete_line "$C/agent-copy-id" "agent-copy-id -F $T/other_config z")" "zeta"
is "agent-copy-id -i: files" "$(complete_line "$C/agent-copy-id" "agent-copy-id -i $T/files/key1")" \
	"$T/files/key1.pub"
is "agent-copy-id -p: nothing to offer" "$(complete_line "$C/agent-copy-id" "agent-copy-id -p ")" ""

# The options offered after "-" are those of --help, for each program built.
progs="$TOP/agent/skagent"
for c in "$TOP"/tools/*.c; do
	progs="$progs ${c%.c}"
done
for prog in $progs; do
	name=$(basename "$prog")
	ok "$name has a completion file" test -f "$C/$name" || continue
	[ -x "$prog" ] || bail "no $prog: run make"
	"$prog" --help >"$T/$name.help" 2>&1
	is "$name: options offered are --help's" \
		"$(complete_line "$C/$name" "$name -" | tr ' ' '\n' | LC_ALL=C sort | tr '\n' ' ')" \
		"$($LIST "$T/$name.help" | LC_ALL=C sort | tr '\n' ' ')"
done
[ -f "$TOP/tools/agent-keygen.c" ] ||
	skip "agent-keygen is not on this branch yet: its completion is compared with --help once it is"

done_testing
