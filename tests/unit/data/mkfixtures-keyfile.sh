#!/bin/sh
# How the encrypted key file fixtures were made (stock OpenSSH 9.2p1
# ssh-keygen); kept for the record, not run by the tests.  Passphrase
# "secret" for all of them.
set -eu
cd "$(dirname "$0")"
ssh-keygen -q -t ed25519 -N secret -C "enc ed25519" -f ed25519_enc
ssh-keygen -q -t rsa -b 2048 -a 4 -N secret -C "enc rsa, 4 rounds" -f rsa_enc
ssh-keygen -q -t ecdsa -b 384 -a 8 -N secret -C "enc ecdsa384 8 rounds" -f ecdsa_enc
for c in aes128-ctr aes192-ctr aes128-cbc aes192-cbc aes256-cbc 3des-cbc \
    aes128-gcm@openssh.com aes256-gcm@openssh.com \
    chacha20-poly1305@openssh.com; do
	n=ed25519_enc_$(echo "$c" | sed 's/@openssh.com//; s/-/_/g')
	ssh-keygen -q -t ed25519 -a 2 -Z "$c" -N secret -C "cipher $c" -f "$n"
done
