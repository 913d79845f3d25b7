/* dns.c: fuzz the answer packet parser. The first byte picks the query type. Every name it
   returns is NUL-terminated, lowercase, without a final dot and at most DNS_NAMEMAX bytes;
   dns_getname at any offset stays inside the packet and its output buffer, and its dotted form
   holds exactly the packet's labels. */
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "dns.h"
#include "common/fuzz.h"

static void checkname (char const *s)
{
  size_t n = strlen(s) ;
  fuzz_assert(n <= DNS_NAMEMAX) ;
  if (n) fuzz_assert(s[n - 1] != '.') ;
  for (size_t i = 0 ; i < n ; i++) fuzz_assert(s[i] < 'A' || s[i] > 'Z') ;
}

/* The labels of the name at pos, decoded independently (pointers only backwards, as the
   parser wants; dns_getname checked the bounds), against the dotted form: one piece each. */
static void samelabels (uint8_t const *pkt, size_t pos, char const *dotted)
{
  size_t o = 0 ;
  for (;;)
  {
    unsigned int l = pkt[pos] ;
    if ((l & 0xc0) == 0xc0) { pos = (size_t)(l & 0x3f) << 8 | pkt[pos + 1] ; continue ; }
    if (!l) break ;
    if (o) fuzz_assert(dotted[o++] == '.') ;
    for (unsigned int i = 1 ; i <= l ; i++)
    {
      unsigned char c = pkt[pos + i] ;
      fuzz_assert((unsigned char)dotted[o++] == (c >= 'A' && c <= 'Z' ? c + 32 : c)) ;
    }
    pos += l + 1 ;
  }
  fuzz_assert(!dotted[o]) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static uint16_t const types[4] = { DNS_T_A, DNS_T_MX, DNS_T_AAAA, DNS_T_CNAME } ;
  uint16_t qtype = types[fuzz_take(&data, &size) & 3] ;
  dnsanswer_t a = DNSANSWER_ZERO ;
  char *out = malloc(DNS_NAMEMAX + 1) ;   /* exactly the size promised: ASan sees any overrun */
  if (!out) abort() ;
  if (dns_parse(&a, data, size, qtype))
  {
    dnsmx_t const *mx = genalloc_s(dnsmx_t, &a.mx) ;
    fuzz_assert(a.rcode < 16) ;
    for (size_t i = 0 ; i < genalloc_len(dnsmx_t, &a.mx) ; i++)
    {
      fuzz_assert(mx[i].name < a.names.len) ;
      fuzz_assert(mx[i].pref <= 65535) ;
      checkname(a.names.s + mx[i].name) ;
    }
    if (a.names.len) fuzz_assert(a.names.s[a.names.len - 1] == 0) ;
    if (a.cname.len) { fuzz_assert(a.cname.s[a.cname.len - 1] == 0) ; checkname(a.cname.s) ; }
    if (qtype == DNS_T_MX) fuzz_assert(!genalloc_len(ip46full, &a.ip)) ;
    else fuzz_assert(!genalloc_len(dnsmx_t, &a.mx)) ;
  }
  dnsanswer_free(&a) ;
  for (size_t start = 0 ; start < size && start < 64 ; start++)
  {
    size_t pos = start ;
    if (dns_getname(data, size, &pos, out))
    {
      fuzz_assert(pos > start && pos <= size) ;
      checkname(out) ;
      samelabels(data, start, out) ;
    }
  }
  free(out) ;
  return 0 ;
}
