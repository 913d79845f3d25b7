/* remote.c: fuzz qmail-remote's parsers on one input read several ways: its lines as an SMTP
   reply (complete replies carry a valid code and capped, printable text), the whole as an EHLO
   reply's text, the first line as a domain and the others as smtproutes items, the whole as a
   host literal and a relay; and DATA encoding fed whole or a byte at a time. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-remote/remote-core.h"
#include "common/fuzz.h"

static void replies (char const *s, size_t len)
{
  smtpreply_t r = SMTPREPLY_ZERO ;
  size_t pos = 0 ;
  while (pos < len)
  {
    char const *lf = memchr(s + pos, '\n', len - pos) ;
    size_t n = lf ? (size_t)(lf - s - pos) : len - pos ;
    int e = smtpreply_add(&r, s + pos, n) ;
    fuzz_assert(e >= -1 && e <= 1) ;
    if (e == 1)
    {
      fuzz_assert(r.code >= 200 && r.code <= 599 && r.lines == 0) ;
      fuzz_assert(r.text.len <= SMTPREPLY_TEXTMAX && r.text.s[r.text.len] == 0) ;
      for (size_t i = 0 ; i < r.text.len ; i++)
        fuzz_assert(r.text.s[i] == '\n' || ((unsigned char)r.text.s[i] >= 32 && r.text.s[i] != 127)) ;
    }
    else if (e < 0) r.lines = 0 ;
    else fuzz_assert(r.lines >= 1 && r.lines <= SMTPREPLY_LINEMAX) ;
    pos += n + 1 ;
  }
  stralloc_free(&r.text) ;
}

static void ehlo (char const *s, size_t len)
{
  uint64_t max = 1 ;
  unsigned int f = ehlo_parse(s, len, &max) ;
  fuzz_assert(!(f & ~127u)) ;
  if (max) fuzz_assert(f & EHLO_SIZE) ;
  if (f & (EHLO_AUTHPLAIN | EHLO_AUTHLOGIN)) fuzz_assert(f & EHLO_AUTH) ;
}

static void routes (uint8_t const *data, size_t size)
{
  char *items = fuzz_strdup(data, size), *domain = items ;
  relay_t r = RELAY_ZERO ;
  size_t n = 0, first = strcspn(items, "\n") ;
  int e ;
  if (first == size) { free(items) ; return ; }
  items[first] = 0 ;
  for (size_t i = first + 1 ; i < size ; i++) if (items[i] == '\n') items[i] = 0, n++ ;
  /* a last item without its newline still counts only when the string is terminated */
  n++ ;
  e = route_find(&r, items + first + 1, n, domain) ;
  fuzz_assert(e >= -1 && e <= 1) ;
  if (e == 1)
  {
    fuzz_assert(r.port != 0 && strlen(r.host.s) == r.host.len) ;
    for (size_t i = 0 ; i < r.host.len ; i++) fuzz_assert(r.host.s[i] < 'A' || r.host.s[i] > 'Z') ;
  }
  stralloc_free(&r.host) ;
  free(items) ;
}

static void literals (char const *s, size_t len)
{
  ip46full ip ;
  relay_t r = RELAY_ZERO ;
  host_literal(s, len, &ip) ;
  if (relay_parse(&r, s, len, SMTP_PORT))
  {
    fuzz_assert(r.port && r.host.len <= len && r.host.s[r.host.len] == 0) ;
    if (r.isip) fuzz_assert(r.host.len) ;
  }
  stralloc_free(&r.host) ;
}

static void encode (char const *s, size_t len)
{
  stralloc a = STRALLOC_ZERO, b = STRALLOC_ZERO ;
  int bola = 1, bolb = 1 ;
  fuzz_assert(smtpdata_cat(&a, s, len, &bola) && smtpdata_end(&a, bola)) ;
  for (size_t i = 0 ; i < len ; i++) fuzz_assert(smtpdata_cat(&b, s + i, 1, &bolb)) ;
  fuzz_assert(smtpdata_end(&b, bolb)) ;
  fuzz_assert(fuzz_same(a.s, a.len, b.s, b.len)) ;
  fuzz_assert(a.len >= 3 && !memcmp(a.s + a.len - 3, ".\r\n", 3)) ;
  for (size_t i = 0 ; i + 3 < a.len ; i++)
    if (!i || (i >= 2 && a.s[i - 2] == '\r' && a.s[i - 1] == '\n'))
      fuzz_assert(memcmp(a.s + i, ".\r\n", 3)) ;
  stralloc_free(&a) ;
  stralloc_free(&b) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  size_t len = size ;
  char *s = fuzz_guard(data, &len) ;   /* no NUL after the bytes, and a read past them faults */
  replies(s, len) ;
  ehlo(s, len) ;
  literals(s, len) ;
  encode(s, len) ;
  routes(data, size) ;
  return 0 ;
}
