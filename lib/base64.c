/* base64.c: RFC 4648 base64 encoding, strict decoding for SMTP AUTH and lenient decoding for
   MIME bodies. Encoding works in 3-byte groups giving 4 characters; decoding accumulates 6-bit
   values and emits a byte for every 8 bits gathered. */
#include <errno.h>
#include "base64.h"

static char const base64_alphabet[64] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

/* the 6-bit value of c, or -1 outside the alphabet ("=" included) */
static int base64_value (unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
}

int base64_encode (stralloc *sa, char const *s, size_t len, unsigned int flags)
{
  size_t groups = (len + 2) / 3 ;
  size_t eol = flags & BASE64_WRAP_CRLF ? 2 : flags & BASE64_WRAP_LF ? 1 : 0 ;
  size_t lines = eol ? (groups * 4 + BASE64_LINE - 1) / BASE64_LINE : 0 ;
  size_t col = 0, i = 0 ;
  char *out ;
  if (groups > ((size_t)-1 - sa->len) / 5) return (errno = ENOMEM, 0) ;
  if (!stralloc_readyplus(sa, groups * 4 + lines * eol)) return 0 ;
  out = sa->s + sa->len ;
  for (; i < len ; i += 3)
  {
    unsigned char const *p = (unsigned char const *)s + i ;
    size_t n = len - i < 3 ? len - i : 3 ;
    unsigned long v = (unsigned long)p[0] << 16 | (n > 1 ? (unsigned long)p[1] << 8 : 0) | (n > 2 ? p[2] : 0) ;
    *out++ = base64_alphabet[v >> 18] ;
    *out++ = base64_alphabet[(v >> 12) & 63] ;
    *out++ = n > 1 ? base64_alphabet[(v >> 6) & 63] : '=' ;
    *out++ = n > 2 ? base64_alphabet[v & 63] : '=' ;
    col += 4 ;
    if (eol && (col == BASE64_LINE || i + 3 >= len))  /* 76 is a multiple of 4 */
    {
      if (eol == 2) *out++ = '\r' ;
      *out++ = '\n' ;
      col = 0 ;
    }
  }
  sa->len = out - sa->s ;
  return 1 ;
}

int base64_decode (stralloc *sa, char const *s, size_t len)
{
  size_t pad = 0, i = 0, start = sa->len ;
  unsigned long acc = 0 ;
  if (len & 3) return (errno = EINVAL, 0) ;
  if (len && s[len - 1] == '=') pad = len >= 2 && s[len - 2] == '=' ? 2 : 1 ;
  if (!stralloc_readyplus(sa, len / 4 * 3)) return 0 ;
  for (; i < len - pad ; i++)
  {
    int v = base64_value(s[i]) ;
    if (v < 0) goto bad ;
    acc = acc << 6 | (unsigned long)v ;
    if ((i & 3) == 3)
    {
      sa->s[sa->len++] = acc >> 16 ;
      sa->s[sa->len++] = acc >> 8 ;
      sa->s[sa->len++] = acc ;
      acc = 0 ;
    }
  }
  /* the last group held 4 - pad characters: 18 or 12 bits, of which 2 or 4 are unused */
  if (pad == 1)
  {
    if (acc & 3) goto bad ;
    sa->s[sa->len++] = acc >> 10 ;
    sa->s[sa->len++] = acc >> 2 ;
  }
  else if (pad == 2)
  {
    if (acc & 15) goto bad ;
    sa->s[sa->len++] = acc >> 4 ;
  }
  return 1 ;
 bad:
  sa->len = start ;
  errno = EINVAL ;
  return 0 ;
}

int base64_decode_mime (stralloc *sa, char const *s, size_t len)
{
  unsigned long acc = 0 ;
  unsigned int bits = 0 ;
  size_t i = 0 ;
  if (!stralloc_readyplus(sa, len / 4 * 3 + 2)) return 0 ;
  for (; i < len && s[i] != '=' ; i++)
  {
    int v = base64_value(s[i]) ;
    if (v < 0) continue ;
    acc = (acc << 6 | (unsigned long)v) & 0xffffff ;
    bits += 6 ;
    if (bits >= 8)
    {
      bits -= 8 ;
      sa->s[sa->len++] = acc >> bits ;
    }
  }
  return 1 ;
}
