#!/bin/bash
# No private key left in the agent's memory once it is gone.  For each key
# type stock ssh-keygen makes, its secret values (tests/helpers/keysecret:
# the ed25519 seed; ecdsa's d; rsa's d, p, q and iqmp, both as the file has
# them and as OpenSSL's bignums hold them) are in the agent's memory while
# the key is loaded (the scan can see them) and nowhere after ssh-add -d,
# ssh-add -D, the end of its lifetime and SIGUSR1, nor while the agent is
# locked.
. "$(dirname "$0")/lib.sh"

KEYSECRET=$TOP/tests/helpers/keysecret
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # skip memscan needs root (to read a non-dumpable process)"
	exit 0
fi

cat >"$T/askpass" <<'AP'
#!/bin/sh
echo sekrit
AP
chmod +x "$T/askpass"
askpass() { SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force \
	setsid "$@" </dev/null >/dev/null 2>&1; }
# scan NEEDLE...: 0 found, 1 not found; a scan that cannot read bails out
scan() {
	local r
	"$MEMSCAN" "$AGENT_PID" "$@" >"$T/found"
	r=$?
	[ "$r" -le 1 ] || bail "memscan failed"
	return "$r"
}
absent() {
	scan "$@" && { diag "still there: $(tr '\n' ' ' <"$T/found")"; return 1; }
	return 0
}
gone() { wait_for 20 sh -c '! ssh-add -l >/dev/null 2>&1'; }

start_agent
for t in ed25519 ecdsa-256 ecdsa-521 rsa-3072; do
	f=$T/$t
	case $t in
	*-*) ssh-keygen -q -t "${t%-*}" -b "${t#*-}" -N '' -C "$t" -f "$f" ;;
	*) ssh-keygen -q -t "$t" -N '' -C "$t" -f "$f" ;;
	esac || bail keygen
	all=$("$KEYSECRET" "$f" | cut -d' ' -f2 | tr '\n' ' ')
	# what the agent holds: the seed as is, bignums little-endian
	held=$("$KEYSECRET" "$f" | sed -n 's/^\(seed\|d-le\) //p')
	[ -n "$all" ] && [ -n "$held" ] || bail "keysecret $f"

	ssh-add -q "$f" && ssh-add -T "$f.pub" || bail "ssh-add $t"
	ok "$t: loaded and used, its secret is in memory (the scan sees it)" \
		scan $held
	ssh-add -q -d "$f.pub"
	# shellcheck disable=SC2086
	ok "$t: after ssh-add -d, none of its secrets is left" absent $all

	ssh-add -q "$f" && ssh-add -T "$f.pub"
	askpass ssh-add -x || bail lock
	ok "$t: locked, none of its secrets is in memory" absent $all
	askpass ssh-add -X || bail unlock
	ok "$t: unlocked, it signs again" ssh-add -T "$f.pub"
	ok "$t: and its secret is back" scan $held
	ssh-add -q -D
	ok "$t: after ssh-add -D, none is left" absent $all

	ssh-add -q -t 2 "$f" && ssh-add -T "$f.pub"
	gone || bail "lifetime"
	ok "$t: its lifetime over, none is left" absent $all

	ssh-add -q "$f" && ssh-add -T "$f.pub"
	kill -USR1 "$AGENT_PID"
	gone || bail "SIGUSR1"
	ok "$t: after SIGUSR1, none is left" absent $all
done
ok "the agent lived through it all" agent_alive
done_testing
