#!/usr/bin/env python3
"""open_store.py - the records a `persona run` database keeps, opened
independently of the runner (tests only), from the format docs/runtime.md
gives: "$sealed1$" base64url(nonce || ciphertext || tag), XChaCha20-Poly1305
under BLAKE2b-256(secret, key="persona store key v1"), the profile key as
associated data.

    open_store.py DB SECRET     prints "key doc pending" per profile (by id)
"""
import base64
import ctypes
import hashlib
import sqlite3
import sys

PREFIX = "$sealed1$"
sodium = ctypes.CDLL("libsodium.so.23")
assert sodium.sodium_init() >= 0


def open_text(key, profile_key, stored):
    if stored is None or not stored.startswith(PREFIX):
        return stored
    b64 = stored[len(PREFIX):]
    raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    nonce, ct = raw[:24], raw[24:]
    out = ctypes.create_string_buffer(len(ct))
    out_len = ctypes.c_ulonglong(0)
    ad = profile_key.encode()
    rc = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, ctypes.byref(out_len), None, ct, ctypes.c_ulonglong(len(ct)), ad, ctypes.c_ulonglong(len(ad)),
        nonce, key)
    if rc != 0:
        return "(does not open)"
    return out.raw[:out_len.value].decode()


def main():
    db, secret = sys.argv[1], sys.argv[2].encode()
    key = hashlib.blake2b(secret, digest_size=32, key=b"persona store key v1").digest()
    for k, doc, pending in sqlite3.connect(db).execute("SELECT key, doc, pending FROM profile ORDER BY id"):
        print(k, open_text(key, k, doc), open_text(key, k, pending))


main()
