/* base64.h: RFC 4648 section 4 base64 (alphabet A-Z a-z 0-9 + /, "=" padding).
   Every function appends to sa and returns 1, or returns 0 with errno set (ENOMEM; EINVAL
   for input a decoder refuses) and sa->len as it was. Strict decoding is for SMTP AUTH
   (RFC 4954); the MIME decoder follows RFC 2045 section 6.8. */
#ifndef QM_BASE64_H
#define QM_BASE64_H

#include <stddef.h>
#include <skalibs/stralloc.h>

/* encode flags: lines of 76 characters (RFC 2045), each ended by CRLF or LF, the last too */
#define BASE64_WRAP_CRLF 1
#define BASE64_WRAP_LF 2
#define BASE64_LINE 76

extern int base64_encode (stralloc *sa, char const *s, size_t len, unsigned int flags) ;

/* Strict: length a multiple of 4, only alphabet characters, "=" only as the final one or two,
   the unused bits of the last character zero, no white space. "" decodes to nothing. */
extern int base64_decode (stralloc *sa, char const *s, size_t len) ;

/* Lenient (RFC 2045 6.8): characters outside the alphabet (line breaks, blanks, anything else)
   are ignored, the first "=" ends the data, missing padding and non-zero unused bits are
   tolerated, and a lone trailing character (6 bits, less than a byte) is dropped. Fails only
   with ENOMEM. */
extern int base64_decode_mime (stralloc *sa, char const *s, size_t len) ;

#endif
