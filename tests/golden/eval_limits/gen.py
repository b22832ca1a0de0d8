#!/usr/bin/env python3
"""Writes the hostile inputs of eval_limits to standard output.

    python3 gen.py big     # one record per bad input, a good one after each
    python3 gen.py lines   # lines around a --max-line-bytes 1024 limit

Generated rather than committed: together they are about 170 MB. Every
bad record is followed by a good one, so the expected output shows that
each gives its own error and that the next record is not disturbed. The
last line of each stream has no newline; in `big` it ends mid-record.
"""
import sys

MIB = 1 << 20


def good(n):
    return b'{"id":"ok%d","employees":%d,"revenue":1.5,"name":"n"}' % (n, 500 + n)


def big():
    bad = [
        # 100 000 nested brackets: in a skipped field, in a decoded field,
        # and as the whole line.
        b'{"id":"deep-unknown","x":' + b'[' * 100000 + b']' * 100000 + b'}',
        b'{"id":"deep-events","events":' + b'[' * 100000 + b']' * 100000 + b'}',
        b'[' * 100000,
        b'{"id":"deep-objects","x":' + b'{"a":' * 100000 + b'1' + b'}' * 100000 + b'}',
        # 50 MB strings: in a field the model reads (over the string
        # limit), in a pii field (never quoted), in a field it does not
        # know (skipped, not decoded: no limit but the line's).
        b'{"id":"str-used","name":"' + b'a' * (50 * 1000 * 1000) + b'"}',
        b'{"id":"str-pii","phone":"' + b'7' * (50 * 1000 * 1000) + b'"}',
        b'{"id":"str-unknown","note":"' + b'a' * (50 * 1000 * 1000) + b'"}',
        # A line just over the default line limit of 64 MiB.
        b'{"id":"line-64mib","note":"' + b'a' * (64 * MIB - 26) + b'"}',
        # 10 000 digits, 1e999, beyond 64 bits.
        b'{"id":"digits-int","employees":' + b'9' * 10000 + b'}',
        b'{"id":"digits-number","revenue":' + b'9' * 10000 + b'}',
        b'{"id":"digits-fraction","revenue":0.' + b'0' * 10000 + b'1}',
        b'{"id":"digits-unknown","x":' + b'9' * 10000 + b'}',
        b'{"id":"e999-int","employees":1e999}',
        b'{"id":"e999-number","revenue":1e999}',
        b'{"id":"e999-negative","revenue":-1e999}',
        b'{"id":"e-999-number","revenue":1e-999}',
        b'{"id":"e999-time","signed_up":1e999}',
        b'{"id":"2^64","employees":18446744073709551616}',
        b'{"id":"-2^63-1","employees":-9223372036854775809}',
        b'{"id":"2^63-1","employees":9223372036854775807}',
        b'{"id":' + b'9' * 10000 + b'}',
        # Surrogates in \u escapes.
        b'{"id":"lone-high","name":"\\ud800"}',
        b'{"id":"lone-low","name":"a\\udc00b"}',
        b'{"id":"reversed-pair","name":"\\udc00\\ud800"}',
        b'{"id":"high-then-text","name":"\\ud83dx"}',
        b'{"id":"lone-unknown","note":"\\ud800"}',
        b'{"id":"pair","name":"\\ud83d\\ude00"}',
        # NUL bytes: raw inside a string, raw between tokens, escaped.
        b'{"id":"nul-in-string","name":"a\x00b"}',
        b'{"id":"nul-outside",\x00"name":"a"}',
        b'\x00',
        b'{"id":"nul-after"}\x00',
        b'{"id":"nul-escaped","name":"a\\u0000b"}',
        # The list limit: 1 000 001 events (1 000 000 is allowed).
        b'{"id":"events-1000001","events":['
        + b','.join([b'{"type":"v","at":0}'] * 1000001) + b']}',
    ]
    out = []
    for i, line in enumerate(bad):
        out.append(line)
        out.append(good(i + 1))
    # The file ends mid-record.
    out.append(b'{"id":"cut","employees":12')
    return b'\n'.join(out)


def lines():
    def rec(name, total):
        head = b'{"id":"%s","name":"' % name.encode()
        return head + b'a' * (total - len(head) - 2) + b'"}'

    out = [
        rec('1024-bytes', 1024),
        rec('1025-bytes', 1025),
        good(1),
        rec('3-mib', 3 * MIB),
        good(2),
        b'',
        rec('1-mib-and-5', MIB + 5),
        rec('1024-again', 1024),
        rec('last-too-long', 5 * MIB),
    ]
    return b'\n'.join(out)


if __name__ == '__main__':
    sys.stdout.buffer.write({'big': big, 'lines': lines}[sys.argv[1]]())
