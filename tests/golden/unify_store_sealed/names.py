# names.py KEY DIR SOURCE FILE - the name a sealed store gives FILE, computed
# here with Python's BLAKE2b (docs/unify.md, "The store"), and whether DIR/SOURCE holds it.
import hashlib
import os
import sys

secret, store, source, path = sys.argv[1].encode(), sys.argv[2], sys.argv[3], sys.argv[4]
key = hashlib.blake2b(secret, key=b"persona store key v1", digest_size=32).digest()
name = hashlib.blake2b(open(path, "rb").read(), key=key, digest_size=32).hexdigest()[:32] + ".jsonl.sealed"
print(f"{source}/{name}:", "stored" if os.path.exists(os.path.join(store, source, name)) else "MISSING")
