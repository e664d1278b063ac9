#!/bin/bash
# skagent-sk-helper, the process that runs security key provider libraries
# for the agent: through the agent's own code (agent/skhelper.c and
# agent/child.c, driven by tests/helpers/skhelper-run) against the test
# provider and softtoken, each signature checked with lib/key.c's
# key_verify; PINs, no-touch keys, the device option, cancellation; and
# the helper fed hostile requests directly.  Keys come from stock
# ssh-keygen through the same provider.
. "$(dirname "$0")/lib.sh"

PROV=$TOP/tests/sk-provider/libsk-softtoken.so
HELPER=$SKHELPER
RUN=$TOP/tests/helpers/skhelper-run
[ -f "$PROV" ] && [ -x "$RUN" ] || bail "run make all-tests"
[ -x "$HELPER" ] || bail "no $HELPER: run make"

start_token pin --pin 123456
start_token one
ONE_PID=$TOK_PID
export SKA_SOFTTOKEN=$T/one.tok

keygen() {	# FILE [ssh-keygen args...]
	local f=$1
	shift
	ssh-keygen -q -w "$PROV" -N '' -C "$(basename "$f")" -f "$f" "$@" </dev/null ||
		bail "ssh-keygen $*"
}
keygen "$T/ed" -t ed25519-sk
keygen "$T/ec" -t ecdsa-sk
keygen "$T/nt" -t ed25519-sk -O no-touch-required
SKA_SOFTTOKEN=$T/pin.tok keygen "$T/uv" -t ecdsa-sk -O verify-required

run() { "$RUN" -H "$HELPER" -P "$PROV" "$@" 2>>"$T/run.log"; }

# 1. Signatures through the agent's path.
is "ed25519-sk: signed through the helper, key_verify accepts it" \
	"$(run -k "$T/ed" | cut -d' ' -f1-3)" "ok flags 0x01"
is "ecdsa-sk (r and s from the provider)" "$(run -k "$T/ec" | cut -d' ' -f1-3)" "ok flags 0x01"
is "no-touch-required: no presence asked, none claimed" \
	"$(run -k "$T/nt" | cut -d' ' -f1-3)" "ok flags 0x00"
c1=$(run -k "$T/ed" | cut -d' ' -f5)
c2=$(run -k "$T/ed" | cut -d' ' -f5)
ok "the counter comes through ($c1 then $c2)" test "$c2" -gt "$c1"
is "200 kB of data (more than a pipe holds by default)" \
	"$(run -k "$T/ec" -M 200000 | cut -d' ' -f1)" ok
is "SKAGENT_SK_HELPER names the helper" \
	"$(SKAGENT_SK_HELPER=$HELPER "$RUN" -P "$PROV" -k "$T/ed" 2>>"$T/run.log" | cut -d' ' -f1)" ok
like "a missing helper: the start fails" "$(run -H "$T/none" -k "$T/ed")" \
	"^error: cannot start"
like "a relative provider path is refused before any spawn" \
	"$(run -P libsk-softtoken.so -k "$T/ed")" "^error: cannot start"

# 2. The device: from the environment or the device option, or none.
like "no token: no security key found" \
	"$(SKA_SOFTTOKEN='' run -k "$T/ed")" "^error: no security key found"
is "the device option reaches the provider" \
	"$(SKA_SOFTTOKEN='' run -D "$T/one.tok" -k "$T/ed" | cut -d' ' -f1)" ok
like "a key on another token: the provider fails" \
	"$(SKA_SOFTTOKEN=$T/pin.tok run -k "$T/ed")" "^error: security key error"

# 3. verify-required: PIN_REQUIRED without a PIN, UV with one.
export SKA_SOFTTOKEN=$T/pin.tok
like "verify-required without a PIN: PIN required (the agent then asks)" \
	"$(run -k "$T/uv")" "^error: .*PIN"
is "with the PIN: signed with presence and verification" \
	"$(run -k "$T/uv" -p 123456 | cut -d' ' -f1-3)" "ok flags 0x05"
like "a wrong PIN: PIN required again" "$(run -k "$T/uv" -p 000000)" "^error: .*PIN"
is "the right one still works" "$(run -k "$T/uv" -p 123456 | cut -d' ' -f1)" ok
export SKA_SOFTTOKEN=$T/one.tok

# 4. Cancelled while the token waits for a touch: the helper is killed and
# reaped, the token gives up the request, and the next signature is quick.
kill "$ONE_PID"
wait "$ONE_PID" 2>/dev/null
: >"$T/one.log"
start_token one --touch 10000
ONE_PID=$TOK_PID
# the cancel comes once the token waits, however long the helper took
cancel_when_waiting() {
	wait_for 60 grep -q "waiting for touch" "$T/one.log" && : >"$T/cancel"
}
bg cancel_when_waiting
out=$(run -k "$T/ed" -C "$T/cancel")
st=$?
is "cancelled during a 10 s touch wait" "$out" cancelled
is "and the killed helper was reaped (its pidfd and pipe watches ended)" "$st" 0
ok "the token saw the request go" wait_for 5 grep -q "request dropped" "$T/one.log"
kill "$ONE_PID"
wait "$ONE_PID" 2>/dev/null
start_token one
ONE_PID=$TOK_PID
is "the next signature goes through" "$(run -k "$T/ed" | cut -d' ' -f1)" ok
# The agent's loop blocks SIGTERM and ignores SIGPIPE; its children must
# not inherit that (child.c), or a cancelled helper would run on.
cat >"$T/slow-helper" <<PL
#!/usr/bin/perl
# perl, not sh: dash clears its signal mask when it starts
open(my \$s, "<", "/proc/self/status") or die;
open(my \$o, ">", "$T/child-signals") or die;
print \$o grep(/^Sig(Blk|Ign)/, <\$s>);
close(\$o);
sleep(30);
PL
chmod +x "$T/slow-helper"
out=$(run -B -H "$T/slow-helper" -k "$T/ed" -c 500)
st=$?
is "a parent that blocks signals as the agent's loop does: cancelled" "$out" cancelled
is "and the child was killed and reaped, not left for 30 s" "$st" 0
like "the child's signal mask was empty" "$(cat "$T/child-signals")" "SigBlk:[[:space:]]+0+$"
is "the real helper too, after a parent that blocks signals" \
	"$(run -B -k "$T/ed" | cut -d' ' -f1)" ok

# 5. The helper on its own: a reply for every request, however bad.
"$RUN" -w -P "$PROV" -k "$T/ed" >"$T/req" || bail "skhelper-run -w"
helper() {	# STDIN-FILE [VAR=VALUE...]: runs the helper; its reply in $T/rep
	local in=$1
	shift
	env "$@" "$HELPER" <"$in" >"$T/rep" 2>"$T/helper.err"
}
judge() { "$RUN" -r -k "$T/ed" <"$T/rep" 2>>"$T/run.log" | head -n 1; }
ok "a good request: exit 0" helper "$T/req"
is "and a good signature" "$("$RUN" -r -k "$T/ed" <"$T/rep" | tail -n 1 | cut -d' ' -f1)" ok
: >"$T/empty"
ok "an empty request: exit 0 all the same" helper "$T/empty"
is "with status 17 (bad request)" "$(judge)" "status 17: the helper refused the request"
head -c 40 "$T/req" >"$T/short"
helper "$T/short"
is "a truncated request: status 17" "$(judge)" "status 17: the helper refused the request"
{ cat "$T/req"; printf x; } >"$T/long"
helper "$T/long"
is "a byte too many: status 17" "$(judge)" "status 17: the helper refused the request"
head -c 600000 /dev/zero >"$T/huge"
helper "$T/huge"
is "600 kB of zeroes: status 17" "$(judge)" "status 17: the helper refused the request"
head -c 2000 /dev/urandom >"$T/noise"
helper "$T/noise"
is "random bytes: status 17" "$(judge)" "status 17: the helper refused the request"
"$RUN" -w -P relative.so -k "$T/ed" >"$T/rel" && helper "$T/rel"
is "a relative provider path: status 17" "$(judge)" "status 17: the helper refused the request"
"$RUN" -w -P "$T/none.so" -k "$T/ed" >"$T/nolib" && helper "$T/nolib"
is "a missing provider: status 16" "$(judge)" "status 16: the provider library could not be loaded"
"$RUN" -w -P "$(gcc -print-file-name=libm.so.6)" -k "$T/ed" >"$T/notprov" && helper "$T/notprov"
is "a library that is not a provider: status 16" "$(judge)" \
	"status 16: the provider library could not be loaded"
like "and the helper says why" "$(cat "$T/helper.err")" "not an OpenSSH security key provider"
helper "$T/req" SKA_PROVIDER_API_VERSION=0x00090000
is "a provider of API version 9: refused, status 16" "$(judge)" \
	"status 16: the provider library could not be loaded"
like "as unsupported" "$(cat "$T/helper.err")" "unsupported version 0x00090000"
out=$(SKA_PROVIDER_API_VERSION=0x00090000 ssh-keygen -q -w "$PROV" -t ed25519-sk -N '' \
	-f "$T/v9" </dev/null 2>&1)
like "stock ssh-keygen refuses it too" "$out" "unsupported version"
helper "$T/req" SKA_PROVIDER_API_VERSION=0x000a0007
is "a newer minor version is fine, as for OpenSSH" "$(judge)" "status 0: success"
helper "$T/req" SKA_PROVIDER_DEBUG=stdout
is "a provider that prints to stdout cannot spoil the reply" "$(judge)" "status 0: success"
like "its chatter goes to stderr" "$(cat "$T/helper.err")" "sk-softtoken: sk_sign"
"$HELPER" x </dev/null >/dev/null 2>&1
is "arguments: exit 2 (only skagent runs it)" $? 2
done_testing
