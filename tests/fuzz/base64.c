/* base64.c: fuzz both decoders; whatever decodes strictly encodes back to the same text,
   the MIME decoder accepts everything the strict one does with the same result, and
   encode/decode round-trips the input with every wrapping. */
#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "base64.h"
#include "common/fuzz.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  stralloc a = STRALLOC_ZERO, b = STRALLOC_ZERO, c = STRALLOC_ZERO ;
  static unsigned int const wraps[3] = { 0, BASE64_WRAP_CRLF, BASE64_WRAP_LF } ;

  if (base64_decode(&a, s, size))
  {
    fuzz_assert(a.len == size / 4 * 3 - (size && s[size - 1] == '=') - (size > 1 && s[size - 2] == '=')) ;
    fuzz_assert(base64_encode(&b, a.s, a.len, 0)) ;
    fuzz_assert(fuzz_same(b.s, b.len, s, size)) ;
    fuzz_assert(base64_decode_mime(&c, s, size)) ;
    fuzz_assert(fuzz_same(c.s, c.len, a.s, a.len)) ;
  }
  else fuzz_assert(errno == EINVAL && a.len == 0) ;
  a.len = b.len = c.len = 0 ;
  fuzz_assert(base64_decode_mime(&a, s, size)) ;
  fuzz_assert(a.len <= size / 4 * 3 + 2) ;

  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    b.len = c.len = 0 ;
    fuzz_assert(base64_encode(&b, s, size, wraps[i])) ;
    if (!wraps[i])
    {
      fuzz_assert(b.len == (size + 2) / 3 * 4) ;
      fuzz_assert(base64_decode(&c, b.s, b.len)) ;
    }
    else
    {
      for (size_t j = 0 ; j < b.len ; j++)
        fuzz_assert(b.s[j] != '\r' || wraps[i] == BASE64_WRAP_CRLF) ;
      fuzz_assert(base64_decode_mime(&c, b.s, b.len)) ;
    }
    fuzz_assert(fuzz_same(c.s, c.len, s, size)) ;
  }
  stralloc_free(&a) ;
  stralloc_free(&b) ;
  stralloc_free(&c) ;
  return 0 ;
}
