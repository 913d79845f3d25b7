/* pop3.c: fuzz qmail-pop3d's parsers and its message transmitter. Commands: split and number
   scanning stay inside the line. Transmission, fed whole and in fuzzer-chosen pieces, gives the
   same bytes; the only "." line of the output is its terminator; without a line limit the
   output is the reference encoding and the size a client sees matches it. UIDLs are 1 to 70
   printable bytes. Input: flags, piece count and sizes, then the bytes. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-pop3d/pop3-core.h"
#include "common/fuzz.h"

static void xmit (stralloc *out, int limited, uint64_t lines, char const *s, size_t len, uint8_t const *steps, size_t nsteps)
{
  pop3_xmit_t x ;
  size_t i = 0, k = 0 ;
  pop3_xmit_init(&x, limited, lines) ;
  while (i < len)
  {
    size_t n = k < nsteps ? steps[k++] : len - i ;
    if (n > len - i) n = len - i ;
    fuzz_assert(pop3_xmit(&x, out, s + i, n)) ;
    i += n ;
  }
  fuzz_assert(pop3_xmit_end(&x, out)) ;
}

/* LF to CRLF unless CR precedes, leading dots doubled, CRLF after a last partial line, ".\r\n" */
static void reference (stralloc *sa, char const *s, size_t len, uint64_t *size)
{
  int sol = 1 ;
  *size = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (sol && s[i] == '.' && !stralloc_catb(sa, ".", 1)) abort() ;
    sol = 0 ;
    if (s[i] == '\n')
    {
      int cr = i && s[i - 1] == '\r' ;
      if (!(cr ? stralloc_catb(sa, "\n", 1) : stralloc_catb(sa, "\r\n", 2))) abort() ;
      *size += cr ? 1 : 2 ;
      sol = 1 ;
    }
    else
    {
      if (!stralloc_catb(sa, s + i, 1)) abort() ;
      (*size)++ ;
    }
  }
  if (!sol && !stralloc_catb(sa, "\r\n", 2)) abort() ;
  if (!stralloc_catb(sa, ".\r\n", 3)) abort() ;
}

static void transmit (uint8_t const *data, size_t size)
{
  unsigned int head = fuzz_take(&data, &size) ;
  int limited = head & 1 ;
  uint64_t lines = head >> 1 ;
  size_t nsteps = fuzz_take(&data, &size) % 8 ;
  uint8_t steps[8] ;
  char const *s ;
  stralloc whole = STRALLOC_ZERO, split = STRALLOC_ZERO, want = STRALLOC_ZERO ;
  pop3_size_t z = POP3_SIZE_ZERO, zs = POP3_SIZE_ZERO ;
  uint64_t wantsize ;
  for (size_t k = 0 ; k < nsteps ; k++) steps[k] = fuzz_take(&data, &size) ;
  s = (char const *)data ;

  xmit(&whole, limited, lines, s, size, 0, 0) ;
  xmit(&split, limited, lines, s, size, steps, nsteps) ;
  fuzz_assert(fuzz_same(whole.s, whole.len, split.s, split.len)) ;
  /* the terminator ends the output and appears nowhere else at a line start */
  fuzz_assert(whole.len >= 3 && !memcmp(whole.s + whole.len - 3, ".\r\n", 3)) ;
  for (size_t i = 0 ; i + 3 < whole.len ; i++)
    if (!i || (whole.s[i - 1] == '\n' && i >= 2 && whole.s[i - 2] == '\r'))
      fuzz_assert(memcmp(whole.s + i, ".\r\n", 3)) ;
  if (whole.len > 3) fuzz_assert(whole.len >= 5 && !memcmp(whole.s + whole.len - 5, "\r\n", 2)) ;

  pop3_size_add(&z, s, size) ;
  for (size_t i = 0, k = 0 ; i < size ; )
  {
    size_t n = k < nsteps ? steps[k++] : size - i ;
    if (n > size - i) n = size - i ;
    pop3_size_add(&zs, s + i, n) ;
    i += n ;
  }
  fuzz_assert(pop3_size_end(&z) == pop3_size_end(&zs)) ;
  if (!limited)
  {
    reference(&want, s, size, &wantsize) ;
    fuzz_assert(fuzz_same(whole.s, whole.len, want.s, want.len)) ;
    fuzz_assert(pop3_size_end(&z) == wantsize) ;
  }
  else fuzz_assert(whole.len <= 2 * size + 5) ;
  stralloc_free(&whole) ;
  stralloc_free(&split) ;
  stralloc_free(&want) ;
}

static void command (uint8_t const *data, size_t size)
{
  char *line = fuzz_strdup(data, size), *verb, *arg ;
  size_t len = strlen(line) ;
  uint64_t v[3] ;
  stralloc sa = STRALLOC_ZERO ;
  int n ;
  verb = pop3_split(line, &arg) ;
  fuzz_assert(verb == line && arg >= line && arg <= line + len) ;
  for (char const *p = verb ; *p ; p++) fuzz_assert((*p < 'a' || *p > 'z') && *p != ' ') ;
  if (*arg) fuzz_assert(*arg != ' ') ;
  for (unsigned int max = 0 ; max <= 3 ; max++)
  {
    n = pop3_numbers(arg, v, max) ;
    fuzz_assert(n >= -1 && n <= (int)max) ;
    for (int i = 0 ; i < n ; i++) fuzz_assert(v[i] < (uint64_t)1 << 63) ;
  }
  /* the input as a Maildir name */
  free(line) ;
  line = fuzz_strdup(data, size) ;
  fuzz_assert(pop3_uidl(&sa, line)) ;
  fuzz_assert(sa.len >= 1 && sa.len <= POP3_UIDLMAX) ;
  for (size_t i = 0 ; i < sa.len ; i++) fuzz_assert(sa.s[i] >= 0x21 && sa.s[i] <= 0x7e && sa.s[i] != ':') ;
  {
    uint64_t w ;
    if (pop3_namesize(line, &w)) fuzz_assert(w < (uint64_t)1 << 63) ;
  }
  stralloc_free(&sa) ;
  free(line) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  transmit(data, size) ;
  command(data, size) ;
  return 0 ;
}
