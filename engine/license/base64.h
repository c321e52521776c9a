/*
 * base64.h - base64 as Ruby does it for GitLab license keys: the lenient
 * decoder of String#unpack("m") / Base64.decode64 and the 60-column encoder
 * of Base64.encode64.  Engine-internal.
 */
#ifndef SL_BASE64_H
#define SL_BASE64_H

#include "core/internal.h"

/* Value of a character of the standard alphabet, -1 for everything else
 * (`=` included). */
extern const unsigned char sl__base64_table[256];
static inline int sl__base64_value(unsigned char c)
{
    return (int)sl__base64_table[c] - 1;
}

/* Bytes sl__base64_decode() may write for `len` input characters. */
size_t sl__base64_decoded_max(size_t len);

/* Decode like Ruby's unpack("m"): every byte outside A-Z a-z 0-9 + / is
 * skipped, `=` stops the data only in the 3rd or 4th place of a group, and
 * a final group of 2 or 3 characters still yields 1 or 2 bytes (a lone
 * final character yields nothing).  `out` must hold
 * sl__base64_decoded_max(len) bytes.  Returns the number of bytes written. */
size_t sl__base64_decode(const char *in, size_t len, unsigned char *out);

/* Append the Base64.encode64 form of `in` to `out`: standard alphabet with
 * `=` padding, a `\n` after every 60 characters and after the last line
 * (nothing at all for empty input). */
sl_rc sl__base64_encode(const unsigned char *in, size_t len, sl_buf *out);

#endif
