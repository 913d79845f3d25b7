/* address.c: fuzz address_parse with every flag combination, and the canonical form:
   quote(parse(x)) parses to the same address, and quoting that again gives the same bytes. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "address.h"
#include "common/fuzz.h"

static void roundtrip (char const *addr, size_t len, unsigned int flags)
{
  stralloc wire = STRALLOC_ZERO, again = STRALLOC_ZERO, wire2 = STRALLOC_ZERO ;
  size_t params = 0 ;
  address_err_t e ;
  if (!stralloc_catb(&wire, "<", 1)) abort() ;
  fuzz_assert(address_quote(&wire, addr, len)) ;
  if (!stralloc_catb(&wire, ">", 1)) abort() ;
  e = address_parse(&again, &params, wire.s, wire.len, flags | ADDRESS_ALLOWNULL) ;
  /* only for length: the angle brackets around a bare address add two bytes */
  if (e == ADDRESS_PATHTOOLONG || e == ADDRESS_LOCALTOOLONG) goto end ;
  if (e != ADDRESS_OK)
  {
    fprintf(stderr, "requote of %.*s fails: %s\n", (int)wire.len, wire.s, address_errstr(e)) ;
    abort() ;
  }
  fuzz_assert(params == wire.len) ;
  fuzz_assert(fuzz_same(again.s, again.len, addr, len)) ;
  if (!address_quote(&wire2, again.s, again.len)) abort() ;
  fuzz_assert(fuzz_same(wire2.s, wire2.len, wire.s + 1, wire.len - 2)) ;
 end:
  stralloc_free(&wire) ;
  stralloc_free(&again) ;
  stralloc_free(&wire2) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  for (unsigned int flags = 0 ; flags < 8 ; flags++)
  {
    stralloc sa = STRALLOC_ZERO ;
    size_t params = (size_t)-1 ;
    address_err_t e = address_parse(&sa, &params, s, size, flags) ;
    fuzz_assert(address_errstr(e) != 0) ;
    if (e != ADDRESS_OK)
    {
      fuzz_assert(sa.len == 0) ;
      fuzz_assert(params == (size_t)-1) ;
      stralloc_free(&sa) ;
      continue ;
    }
    fuzz_assert(params <= size) ;
    fuzz_assert(sa.s[sa.len] == 0) ;
    fuzz_assert(sa.len <= size) ;
    if (!sa.len) fuzz_assert(flags & ADDRESS_ALLOWNULL) ;
    if (!(flags & ADDRESS_SMTPUTF8))
      for (size_t i = 0 ; i < sa.len ; i++) fuzz_assert(!(sa.s[i] & 0x80)) ;
    {
      char const *dom ;
      size_t domlen, local = address_split(sa.s, sa.len, &dom, &domlen) ;
      fuzz_assert(local <= sa.len) ;
      if (dom) fuzz_assert(dom == sa.s + local + 1 && local + 1 + domlen == sa.len) ;
      fuzz_assert(address_domainequal(dom, domlen, dom, domlen)) ;
    }
    if (sa.len) roundtrip(sa.s, sa.len, flags) ;
    stralloc_free(&sa) ;
  }
  return 0 ;
}
