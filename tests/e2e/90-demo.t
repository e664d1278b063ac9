#!/bin/bash
# make demo keeps working: the whole flow, no hardware, every step passes.
. "$(dirname "$0")/lib.sh"

out=$("$TOP/scripts/demo" 2>&1)
is "the demo runs to the end" "$?" 0 || printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
like "it makes the key on the token" "$out" "agent-keygen -t ed25519-sk"
like "the agent holds it" "$out" "\(ED25519-SK\)"
like "agent-copy-id installs it" "$out" "1 key added"
like "ssh logs in with it" "$out" "key accepted"
like "git-style signature verifies" "$out" 'Good "git" signature for demo@example with ED25519-SK key'
fails "it leaves nothing behind" sh -c 'ls -d "${TMPDIR:-/tmp}"/skagent-demo.* 2>/dev/null | grep -q .'
done_testing
