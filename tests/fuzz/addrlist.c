/* addrlist.c: fuzz addrlist_parse (RFC 5322 address lists): every span lies inside the
   field, in order, and every internal form is NUL-terminated inside the list's text. */
#include <string.h>
#include "addrlist.h"
#include "common/fuzz.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  addrlist_t al = ADDRLIST_ZERO ;
  int r = addrlist_parse(&al, (char const *)data, size) ;
  fuzz_assert(addrlist_errstr(r) != 0) ;
  if (r != ADDRLIST_OK) fuzz_assert(addrlist_n(&al) == 0) ;
  else
  {
    size_t prevend = 0 ;
    for (size_t i = 0 ; i < addrlist_n(&al) ; i++)
    {
      addrlist_addr_t const *a = addrlist_get(&al, i) ;
      char const *t = addrlist_textof(&al, a) ;
      fuzz_assert(a->start <= a->end && a->end <= size) ;
      fuzz_assert(a->start >= prevend) ;
      fuzz_assert(a->routestart <= a->routeend && a->routeend <= size) ;
      fuzz_assert(a->at <= size) ;
      fuzz_assert(a->comma == ADDRLIST_NOCOMMA || a->comma <= size) ;
      fuzz_assert(a->text + a->textlen <= al.text.len) ;
      fuzz_assert(t[a->textlen] == 0) ;
      fuzz_assert(a->domain <= a->textlen) ;
      if (a->domain < a->textlen) fuzz_assert(a->domain && t[a->domain - 1] == '@') ;
      prevend = a->end ;
    }
  }
  /* a second parse into the same list replaces its contents */
  fuzz_assert(addrlist_parse(&al, (char const *)data, size) == r) ;
  addrlist_free(&al) ;
  return 0 ;
}
