#!/usr/bin/env python3
"""keytool.py - an independent license-key writer for the hardening tests.

Builds keys in the GitLab wire format with nothing but the openssl command
(so the engine's decoder is checked against a second implementation) and
can tamper with existing keys:

  keytool.py forge PAYLOAD_FILE PRIVATE_PEM   key for these exact payload bytes
  keytool.py flip-iv KEY_FILE OLD NEW         XOR the IV so that the first 16
                                              plaintext bytes OLD become NEW
  keytool.py reencrypt KEY_FILE PUBLIC_PEM PAYLOAD_FILE
                                              a key for PAYLOAD made without the
                                              private key: the AES key of a
                                              genuine key is recovered with the
                                              public key and reused
  keytool.py envelope KEY_FILE                print the envelope JSON
  keytool.py forge-zero PAYLOAD_FILE PRIVATE_PEM
                                              like forge, with an AES key whose
                                              RSA-wrapped copy starts with a
                                              0x00 byte (one key in 256)
  keytool.py shorten KEY_FILE                 the same key with that leading
                                              0x00 of the wrapped key dropped
  keytool.py rewrap KEY_FILE PUBLIC_PEM PRIVATE_PEM PAYLOAD_FILE
                                              the AES key of a genuine key,
                                              wrapped with another private key
                                              (a second encoding of it), over
                                              PAYLOAD
Keys are written to stdout, base64 wrapped at 60 columns.
"""
import base64
import json
import os
import subprocess
import sys


def b64_wrapped(raw):
    text = base64.b64encode(raw).decode()
    return "".join(text[i:i + 60] + "\n" for i in range(0, len(text), 60))


def lenient_b64(text):
    # the format's rule: skip every byte outside the alphabet
    keep = bytes(c for c in text if chr(c).isalnum() or c in b"+/")
    keep += b"=" * (-len(keep) % 4)
    return base64.b64decode(keep)


def forge(payload_path, private_pem):
    payload = open(payload_path, "rb").read()
    aes_key, iv = os.urandom(16), os.urandom(16)
    data = subprocess.run(
        ["openssl", "enc", "-aes-128-cbc", "-K", aes_key.hex(), "-iv", iv.hex()],
        input=payload, capture_output=True, check=True).stdout
    # PKCS#1 v1.5 type 1 padding over the raw AES key, no DigestInfo
    wrapped = subprocess.run(
        ["openssl", "pkeyutl", "-sign", "-inkey", private_pem,
         "-pkeyopt", "rsa_padding_mode:pkcs1"],
        input=aes_key, capture_output=True, check=True).stdout
    envelope = json.dumps({
        "data": b64_wrapped(data),
        "key": b64_wrapped(wrapped),
        "iv": b64_wrapped(iv),
    }).encode()
    sys.stdout.write(b64_wrapped(envelope))


def rsa_private_numbers(private_pem):
    """n, d of an RSA private key, from the openssl command's text dump."""
    text = subprocess.run(["openssl", "rsa", "-in", private_pem, "-noout", "-text"],
                          capture_output=True, check=True, text=True).stdout
    fields, name = {}, None
    for line in text.splitlines():
        if not line.startswith(" ") and line.rstrip().endswith(":"):
            name = line.strip()[:-1]
            fields[name] = ""
        elif line.startswith(" ") and name:
            fields[name] += line.strip().replace(":", "")
        else:
            name = None
    return int(fields["modulus"], 16), int(fields["privateExponent"], 16)


def sign_raw(aes_key, n, d):
    """PKCS#1 v1.5 type 1 over the raw AES key (no DigestInfo), as the gem."""
    k = (n.bit_length() + 7) // 8
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(aes_key)) + b"\x00" + aes_key
    return pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")


def envelope_for(payload, aes_key, iv, wrapped):
    data = subprocess.run(
        ["openssl", "enc", "-aes-128-cbc", "-K", aes_key.hex(), "-iv", iv.hex()],
        input=payload, capture_output=True, check=True).stdout
    return json.dumps({"data": b64_wrapped(data), "key": b64_wrapped(wrapped),
                       "iv": b64_wrapped(iv)}).encode()


def forge_zero(payload_path, private_pem):
    n, d = rsa_private_numbers(private_pem)
    for _ in range(20000):
        aes_key = os.urandom(16)
        wrapped = sign_raw(aes_key, n, d)
        if wrapped[0] == 0:
            break
    else:
        sys.exit("keytool: no wrapped key with a leading zero byte in 20,000 tries")
    env = envelope_for(open(payload_path, "rb").read(), aes_key, os.urandom(16), wrapped)
    sys.stdout.write(b64_wrapped(env))


def shorten(key_path):
    env = envelope_of(key_path)
    wrapped = lenient_b64(env["key"].encode())
    if wrapped[0] != 0:
        sys.exit("keytool: the wrapped key does not start with a zero byte")
    env["key"] = b64_wrapped(wrapped[1:])
    sys.stdout.write(b64_wrapped(json.dumps(env).encode()))


def rewrap(key_path, public_pem, private_pem, payload_path):
    env = envelope_of(key_path)
    aes_key = subprocess.run(
        ["openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey", public_pem,
         "-pkeyopt", "rsa_padding_mode:pkcs1"],
        input=lenient_b64(env["key"].encode()), capture_output=True, check=True).stdout
    n, d = rsa_private_numbers(private_pem)
    new = envelope_for(open(payload_path, "rb").read(), aes_key,
                       lenient_b64(env["iv"].encode()), sign_raw(aes_key, n, d))
    sys.stdout.write(b64_wrapped(new))


def envelope_of(key_path):
    return json.loads(lenient_b64(open(key_path, "rb").read()))


def flip_iv(key_path, old, new):
    old, new = old.encode(), new.encode()
    if len(old) != 16 or len(new) != 16:
        sys.exit("keytool: OLD and NEW must be 16 bytes")
    env = envelope_of(key_path)
    iv = base64.b64decode(env["iv"])
    env["iv"] = base64.b64encode(bytes(a ^ b ^ c for a, b, c in zip(iv, old, new))).decode()
    sys.stdout.write(b64_wrapped(json.dumps(env).encode()))


def reencrypt(key_path, public_pem, payload_path):
    env = envelope_of(key_path)
    # "verify-recover" with the public key hands anyone the AES key
    aes_key = subprocess.run(
        ["openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey", public_pem,
         "-pkeyopt", "rsa_padding_mode:pkcs1"],
        input=lenient_b64(env["key"].encode()), capture_output=True, check=True).stdout
    iv = lenient_b64(env["iv"].encode())
    data = subprocess.run(
        ["openssl", "enc", "-aes-128-cbc", "-K", aes_key.hex(), "-iv", iv.hex()],
        input=open(payload_path, "rb").read(), capture_output=True, check=True).stdout
    env["data"] = b64_wrapped(data)
    sys.stdout.write(b64_wrapped(json.dumps(env).encode()))


def main(argv):
    if len(argv) == 4 and argv[1] == "forge":
        forge(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "flip-iv":
        flip_iv(argv[2], argv[3], argv[4])
    elif len(argv) == 5 and argv[1] == "reencrypt":
        reencrypt(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "envelope":
        print(json.dumps(envelope_of(argv[2])))
    elif len(argv) == 4 and argv[1] == "forge-zero":
        forge_zero(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "shorten":
        shorten(argv[2])
    elif len(argv) == 6 and argv[1] == "rewrap":
        rewrap(argv[2], argv[3], argv[4], argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
