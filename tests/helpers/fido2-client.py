#!/usr/bin/python3
# An independent CTAP2 client for the tests: Yubico's python-fido2 (Debian
# python3-fido2, 0.9.1) reaching a softtoken over its unix socket, to read
# back what our tools did to a token.  python-fido2 speaks CTAPHID to any
# CtapHidConnection; ours sends each 64-byte report as one SOCK_SEQPACKET
# datagram, as softtoken wants (no report id).  Nothing from lib/.
#
#   fido2-client.py SOCKET info            getInfo: JSON
#   fido2-client.py SOCKET retries         PIN tries left
#   fido2-client.py SOCKET pin-ok PIN      "ok", or the CTAP error name
#   fido2-client.py SOCKET set-pin PIN     setPIN (a token without one)
#   fido2-client.py SOCKET creds PIN       credential management: JSON
#
# PINs come from the environment instead when the argument is "-"
# (FIDO2_PIN), to keep them off the process list.  Exit 0 on success, 1 on
# a CTAP error (its name on stderr), 2 on misuse.
import json
import os
import socket
import sys

from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Ctap2, CredentialManagement
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor


class SeqpacketConnection(CtapHidConnection):
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(30)
        self.sock.connect(path)

    def write_packet(self, data):
        if self.sock.send(data) != len(data):
            raise OSError("short write")

    def read_packet(self):
        data = self.sock.recv(64)
        if len(data) != 64:
            raise OSError("short read (%d bytes)" % len(data))
        return data

    def close(self):
        self.sock.close()


def open_ctap(path):
    desc = HidDescriptor(path, 0, 0, 64, 64)
    return Ctap2(CtapHidDevice(desc, SeqpacketConnection(path)))


def pin_arg(s):
    return os.environ["FIDO2_PIN"] if s == "-" else s


def info(ctap):
    i = ctap.get_info()
    return {
        "versions": i.versions,
        "aaguid": i.aaguid.hex(),
        "clientPin": i.options.get("clientPin"),
        "minPINLength": i.min_pin_length,
        "forcePINChange": i.force_pin_change,
        "remainingDiscoverableCredentials": i.remaining_disc_creds,
        "firmwareVersion": i.firmware_version,
        "algorithms": [a["alg"] for a in i.algorithms or []],
    }


def creds(ctap, pin):
    cp = ClientPin(ctap)
    tok = cp.get_pin_token(pin, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    cm = CredentialManagement(ctap, cp.protocol, tok)
    meta = cm.get_metadata()
    R = CredentialManagement.RESULT
    out = {
        "existing": meta[R.EXISTING_CRED_COUNT],
        "remaining": meta[R.MAX_REMAINING_COUNT],
        "credentials": [],
    }
    if meta[R.EXISTING_CRED_COUNT] == 0:
        return out
    for rp in cm.enumerate_rps():
        for c in cm.enumerate_creds(rp[R.RP_ID_HASH]):
            user = c[R.USER]
            out["credentials"].append({
                "rp": rp[R.RP]["id"],
                "user": user.get("name", ""),
                "userId": user["id"].hex(),
                "credProtect": c.get(R.CRED_PROTECT, 0),
                "id": c[R.CREDENTIAL_ID]["id"].hex(),
            })
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__ or "usage: fido2-client.py SOCKET COMMAND [ARG]",
              file=sys.stderr)
        return 2
    path, cmd, args = argv[1], argv[2], argv[3:]
    try:
        ctap = open_ctap(path)
        if cmd == "info" and not args:
            print(json.dumps(info(ctap), sort_keys=True))
        elif cmd == "retries" and not args:
            print(ClientPin(ctap).get_pin_retries()[0])
        elif cmd == "pin-ok" and len(args) == 1:
            ClientPin(ctap).get_pin_token(
                pin_arg(args[0]), ClientPin.PERMISSION.CREDENTIAL_MGMT)
            print("ok")
        elif cmd == "set-pin" and len(args) == 1:
            ClientPin(ctap).set_pin(pin_arg(args[0]))
        elif cmd == "creds" and len(args) == 1:
            print(json.dumps(creds(ctap, pin_arg(args[0])), sort_keys=True))
        else:
            print("fido2-client.py: bad command", file=sys.stderr)
            return 2
    except CtapError as e:
        print(e.code.name if hasattr(e.code, "name") else str(e),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
