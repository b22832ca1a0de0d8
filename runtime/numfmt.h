/* numfmt.h - numbers as JSON text.
 *
 * Doubles print in the shortest form that reads back as the same double
 * (spec section 6), with no ".0" on integral values: 60, 31.25, 0.1,
 * 1e+21, -0 prints as 0. Integral values below 1e21 print as plain digits
 * as JavaScript does (123456789012345680, not 1.2345678901234568e+17);
 * other exponents are C's ("1e+21", "1e-07", "5e-324"). Non-finite values
 * have no JSON form; callers must not pass them (the VM turns them into
 * record errors first); if they do, "null" is written.
 *
 * Ownership: text goes into a buffer or GString the caller owns; nothing
 * is allocated here.
 */
#ifndef PERSONA_NUMFMT_H
#define PERSONA_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define PNUM_BUF 32
/* Writes NUL-terminated text into buf (PNUM_BUF bytes); returns length. */
size_t pnum_format_double(double d, char *buf);
size_t pnum_format_int(int64_t i, char *buf);

#endif
