#!/usr/bin/env python3
"""ids.py - persona unify's profile ids (docs/unify.md, "Profile ids").

    ids.py PERSONA

With a pseudonym key ($PERSONA_PSEUDONYM_KEY, or the file named by
$PERSONA_PSEUDONYM_KEY_FILE), a profile's id is "p-" and the first 16 hex
digits of HMAC-SHA-256(key, KIND 0x1f VALUE) of its best identifier: the
test computes it with Python's hmac module, independently of persona. It
also checks that the id stays the same when records with lower-priority
identifiers join the profile, that another key gives other ids, that the
key file gives the key's ids, that without a key the ids are the unkeyed
ones and a warning says so, and that a key file that cannot be read stops
the run (exit 1) instead of falling back.
"""
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile

MODEL = """model ids version "1"
schema {
  id: string key
  plan: string?
}
identity {
  key crm_id
  key phone = phone("CN")
  key cookie
  priority [crm_id, phone, cookie]
}
source crm {
  key crm_id from id
  key phone
  field plan
}
source web {
  key cookie
  key phone
}
"""
WARNING = ("persona: warning: no pseudonym key (PERSONA_PSEUDONYM_KEY or PERSONA_PSEUDONYM_KEY_FILE): profile ids "
           "are unkeyed hashes that anyone can recompute from an identifier (docs/unify.md, \"Profile ids\")\n")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def expected(key, kind, value):
    return "p-" + hmac.new(key, kind.encode() + b"\x1f" + value.encode(), hashlib.sha256).hexdigest()[:16]


def unify(persona, work, files, env_extra, rc=0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONA_PSEUDONYM")}
    env.update(env_extra)
    p = subprocess.run([persona, "unify", os.path.join(work, "m.persona"), *files], capture_output=True,
                       text=True, env=env, cwd=work)
    if p.returncode != rc:
        fail("exit %d, not %d: %s" % (p.returncode, rc, p.stderr))
    return sorted(json.loads(l)["id"] for l in p.stdout.splitlines()), p.stderr


def main():
    persona = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="persona-ids-") as work:
        with open(os.path.join(work, "m.persona"), "w") as f:
            f.write(MODEL)
        with open(os.path.join(work, "crm.jsonl"), "w") as f:
            f.write('{"id":"C1","phone":"138 1234 5678","plan":"pro"}\n{"id":"C2"}\n')
        with open(os.path.join(work, "web.jsonl"), "w") as f:
            f.write('{"cookie":"ck1","phone":"+86 13812345678"}\n{"cookie":"ck2","phone":"13900001111"}\n')
        key = b"k3y: not a word in any dictionary"
        want = sorted([expected(key, "crm_id", "C1"), expected(key, "crm_id", "C2"),
                       expected(key, "phone", "+8613900001111")])
        got, err = unify(persona, work, ["crm.jsonl", "web.jsonl"], {"PERSONA_PSEUDONYM_KEY": key.decode()})
        if got != want or err:
            fail("keyed ids %s, want %s (stderr %r)" % (got, want, err))
        # Stable as data arrives: the CRM alone names C1 the same.
        alone, _ = unify(persona, work, ["crm.jsonl"], {"PERSONA_PSEUDONYM_KEY": key.decode()})
        if alone != sorted([expected(key, "crm_id", "C1"), expected(key, "crm_id", "C2")]):
            fail("the CRM's profiles alone: %s" % alone)
        other, _ = unify(persona, work, ["crm.jsonl", "web.jsonl"], {"PERSONA_PSEUDONYM_KEY": "another key"})
        if set(other) & set(want):
            fail("another key gave the same ids: %s" % other)
        with open(os.path.join(work, "key"), "wb") as f:
            f.write(key + b"\n")  # the file's last line break is not key
        from_file, _ = unify(persona, work, ["crm.jsonl", "web.jsonl"], {"PERSONA_PSEUDONYM_KEY_FILE": "key"})
        if from_file != want:
            fail("the key file's ids %s, want %s" % (from_file, want))
        plain, err = unify(persona, work, ["crm.jsonl", "web.jsonl"], {})
        if err != WARNING:
            fail("without a key, stderr %r" % err)
        if set(plain) & set(want) or len(plain) != 3:
            fail("without a key: %s" % plain)
        _, err = unify(persona, work, ["crm.jsonl"], {"PERSONA_PSEUDONYM_KEY_FILE": "missing.key"}, rc=1)
        if "the profile ids' key: pseudonym(): cannot read the key file named by PERSONA_PSEUDONYM_KEY_FILE" not in err:
            fail("an unreadable key file: %r" % err)
    print("keyed ids = HMAC-SHA-256 as computed by Python; stable, key-dependent; unkeyed with a warning")


if __name__ == "__main__":
    main()
