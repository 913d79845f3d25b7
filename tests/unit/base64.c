/* Unit tests of lib/base64.c: RFC 4648 section 10 vectors, wrapping, binary data, round trips
   of every length 0..300, strict rejections and lenient MIME decoding. */
#include <errno.h>
#include <skalibs/stralloc.h>
#include "base64.h"
#include "../tap.h"

static void enc_is (char const *in, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(base64_encode(&sa, in, strlen(in), 0), "encode") ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void dec_is (char const *in, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(base64_decode(&sa, in, strlen(in)), name) ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void mime_is (char const *in, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(base64_decode_mime(&sa, in, strlen(in)), name) ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void rejects (char const *in, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  int r ;
  if (!stralloc_copys(&sa, "keep")) return ;
  errno = 0 ;
  r = base64_decode(&sa, in, strlen(in)) ;
  ok(!r && errno == EINVAL, name) ;
  is_mem(sa.s, sa.len, "keep", "output untouched on rejection") ;
  stralloc_free(&sa) ;
}

static void vectors (void)
{
  static char const *const v[7][2] =
  {
    { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" }
  } ;
  for (unsigned int i = 0 ; i < 7 ; i++)
  {
    enc_is(v[i][0], v[i][1], "RFC 4648 section 10 encode") ;
    dec_is(v[i][1], v[i][0], "RFC 4648 section 10 decode") ;
    mime_is(v[i][1], v[i][0], "RFC 4648 section 10 MIME decode") ;
  }
  enc_is("\xff\xfe\xfd", "//79", "the last two alphabet characters") ;
  enc_is("\xfb\xef\xbe", "++++", "plus signs") ;
}

static void binary (void)
{
  stralloc sa = STRALLOC_ZERO, back = STRALLOC_ZERO ;
  ok(base64_encode(&sa, "\0alice\0secret", 13, 0), "encode with NULs") ;
  is_mem(sa.s, sa.len, "AGFsaWNlAHNlY3JldA==", "AUTH PLAIN string with NULs") ;
  ok(base64_decode(&back, sa.s, sa.len), "decode with NULs") ;
  ok(back.len == 13 && !memcmp(back.s, "\0alice\0secret", 13), "NULs survive") ;
  sa.len = 0 ;
  ok(base64_encode(&sa, "\0\0\0", 3, 0), "three NULs") ;
  is_mem(sa.s, sa.len, "AAAA", "three NULs give AAAA") ;
  sa.len = 0 ;
  if (!stralloc_copys(&sa, "prefix:")) return ;
  ok(base64_encode(&sa, "foo", 3, 0), "append") ;
  is_mem(sa.s, sa.len, "prefix:Zm9v", "encode appends") ;
  stralloc_free(&sa) ;
  stralloc_free(&back) ;
}

static void wrapping (void)
{
  char in[120] ;
  stralloc sa = STRALLOC_ZERO, back = STRALLOC_ZERO ;
  size_t i ;
  for (i = 0 ; i < sizeof in ; i++) in[i] = (char)(i * 7) ;
  ok(base64_encode(&sa, in, 57, BASE64_WRAP_CRLF), "57 bytes wrapped") ;
  ok(sa.len == 78 && sa.s[76] == '\r' && sa.s[77] == '\n', "57 bytes make exactly one 76-column line") ;
  sa.len = 0 ;
  ok(base64_encode(&sa, in, 58, BASE64_WRAP_CRLF), "58 bytes wrapped") ;
  ok(sa.len == 78 + 4 + 2 && sa.s[76] == '\r' && sa.s[82] == '\r' && sa.s[83] == '\n', "58 bytes: a full line, then a short line") ;
  ok(base64_decode_mime(&back, sa.s, sa.len), "MIME decode of wrapped") ;
  ok(back.len == 58 && !memcmp(back.s, in, 58), "wrapped CRLF round trip") ;
  sa.len = 0 ;
  ok(base64_encode(&sa, in, sizeof in, BASE64_WRAP_LF), "LF wrap") ;
  ok(sa.len == 160 + 3 && sa.s[76] == '\n' && sa.s[153] == '\n' && sa.s[162] == '\n', "LF: 76 + 76 + 8 columns") ;
  for (i = 0 ; i < sa.len ; i++) if (sa.s[i] == '\r') break ;
  ok(i == sa.len, "LF wrap has no CR") ;
  back.len = 0 ;
  ok(base64_decode_mime(&back, sa.s, sa.len), "MIME decode of LF wrapped") ;
  ok(back.len == sizeof in && !memcmp(back.s, in, sizeof in), "wrapped LF round trip") ;
  back.len = 0 ;
  errno = 0 ;
  ok(!base64_decode(&back, sa.s, sa.len) && errno == EINVAL, "strict decode refuses line breaks") ;
  sa.len = 0 ;
  ok(base64_encode(&sa, "", 0, BASE64_WRAP_CRLF), "empty wrapped") ;
  is(sa.len, 0, "empty input gives no line at all") ;
  stralloc_free(&sa) ;
  stralloc_free(&back) ;
}

static void roundtrips (void)
{
  char in[300] ;
  stralloc sa = STRALLOC_ZERO, back = STRALLOC_ZERO, wrapped = STRALLOC_ZERO ;
  unsigned int good = 0, goodmime = 0, goodlen = 0 ;
  size_t n ;
  for (n = 0 ; n < sizeof in ; n++) in[n] = (char)(n * 131 + 17) ;
  for (n = 0 ; n <= sizeof in ; n++)
  {
    sa.len = back.len = wrapped.len = 0 ;
    if (!base64_encode(&sa, in, n, 0) || !base64_decode(&back, sa.s, sa.len)) break ;
    if (sa.len == (n + 2) / 3 * 4) goodlen++ ;
    if (back.len == n && !memcmp(back.s, in, n)) good++ ;
    back.len = 0 ;
    if (!base64_encode(&wrapped, in, n, BASE64_WRAP_CRLF) || !base64_decode_mime(&back, wrapped.s, wrapped.len)) break ;
    if (back.len == n && !memcmp(back.s, in, n)) goodmime++ ;
  }
  is(goodlen, 301, "encoded length is 4 * ceil(n / 3) for every length 0..300") ;
  is(good, 301, "strict round trip for every length 0..300") ;
  is(goodmime, 301, "wrapped + MIME round trip for every length 0..300") ;
  stralloc_free(&sa) ;
  stralloc_free(&back) ;
  stralloc_free(&wrapped) ;
}

static void rejections (void)
{
  rejects("Zg=", "length not a multiple of 4") ;
  rejects("Z", "one character") ;
  rejects("=", "lone pad") ;
  rejects("====", "only padding") ;
  rejects("Z===", "three pad characters") ;
  rejects("Zg==Zg==", "padding in the middle") ;
  rejects("Zm=v", "pad before data") ;
  rejects("Zh==", "non-zero unused bits with two pads") ;
  rejects("Zm9=", "non-zero unused bits with one pad") ;
  rejects("Zm9v\r\n", "trailing CRLF") ;
  rejects("Zm 9v", "blank inside") ;
  rejects("Zm9-", "URL-safe alphabet is not base64") ;
  rejects("Zm9_", "underscore") ;
  rejects("Zm9\x80", "8-bit byte") ;
  {
    stralloc sa = STRALLOC_ZERO ;
    ok(!base64_decode(&sa, "Zm9v\0\0\0\0", 8), "embedded NULs rejected") ;
    stralloc_free(&sa) ;
  }
}

static void mime (void)
{
  mime_is("Zm9v\r\nYmFy\r\n", "foobar", "CRLF skipped") ;
  mime_is(" Z m 9 v\tYm\nFy ", "foobar", "blanks anywhere") ;
  mime_is("Zm9vYg", "foob", "missing padding tolerated") ;
  mime_is("Zm9vYg=", "foob", "short padding tolerated") ;
  mime_is("Zh==", "f", "non-zero unused bits ignored") ;
  mime_is("Zg==\r\nIGNORED", "f", "the first pad ends the data") ;
  mime_is("Zm9v!*YmFy", "foobar", "non-alphabet characters ignored (RFC 2045 6.8)") ;
  mime_is("Zm9vY", "foo", "a lone trailing character is dropped") ;
  mime_is("", "", "empty") ;
  mime_is("\r\n", "", "only a line break") ;
}

int main (void)
{
  vectors() ;
  binary() ;
  wrapping() ;
  roundtrips() ;
  rejections() ;
  mime() ;
  return tap_done() ;
}
