/* smtpd.c: fuzz qmail-smtpd's parsers: the DATA/BDAT decoder fed whole, a byte at a time and
   split at fuzzer-chosen points (the same result every way; never more output than input; in
   DOT mode it stops right after the first "." CRLF at a line start; without a bare CR or LF
   the output is exactly the input with CRLF as LF and leading dots removed), the ESMTP
   parameters, and the AUTH PLAIN response.
   Input: mode/max byte, split count and sizes, then the bytes. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-smtpd/smtpd-core.h"
#include "common/fuzz.h"

typedef struct result_s result_t ;
struct result_s
{
  stralloc out ;
  size_t consumed ;
  smtpd_data_t d ;
} ;

/* Feed s in pieces of the given sizes (the last piece takes the rest). */
static void feed (result_t *r, unsigned int mode, uint64_t max, char const *s, size_t len, uint8_t const *steps, size_t nsteps, int bytewise)
{
  size_t i = 0, k = 0 ;
  smtpd_data_init(&r->d, mode, max) ;
  r->out.len = 0 ;
  while (i < len && !r->d.done)
  {
    size_t n = bytewise ? 1 : k < nsteps ? steps[k++] : len - i, got ;
    if (n > len - i) n = len - i ;
    got = smtpd_data_feed(&r->d, s + i, n, &r->out) ;
    if (n) fuzz_assert(got) ;   /* no ENOMEM here */
    fuzz_assert(got <= n) ;
    if (got < n) fuzz_assert(mode == SMTPD_DATA_DOT && r->d.done) ;
    i += got ;
  }
  if (mode == SMTPD_DATA_RAW) smtpd_data_end(&r->d) ;
  r->consumed = i ;
}

static int same (result_t const *a, result_t const *b)
{
  return a->consumed == b->consumed && fuzz_same(a->out.s, a->out.len, b->out.s, b->out.len)
    && a->d.bytes == b->d.bytes && a->d.hops == b->d.hops && a->d.done == b->d.done
    && a->d.bare == b->d.bare && a->d.inheader == b->d.inheader ;
}

/* Where DOT mode must stop: after the first ".\r\n" at the start or right after a CRLF. */
static size_t dotend (char const *s, size_t len)
{
  for (size_t p = 0 ; p + 3 <= len ; p++)
    if (!memcmp(s + p, ".\r\n", 3) && (!p || (p >= 2 && s[p - 2] == '\r' && s[p - 1] == '\n'))) return p + 3 ;
  return 0 ;
}

/* The message of well-formed input: CRLF becomes LF, in DOT mode a leading dot goes. */
static void expect (stralloc *sa, char const *s, size_t len, unsigned int mode)
{
  int sol = 1 ;
  sa->len = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (sol && mode == SMTPD_DATA_DOT && s[i] == '.') { sol = 0 ; continue ; }
    sol = 0 ;
    if (s[i] == '\r') continue ;
    if (!stralloc_catb(sa, s + i, 1)) abort() ;
    if (s[i] == '\n') sol = 1 ;
  }
}

static void data (uint8_t const *data, size_t size)
{
  unsigned int head = fuzz_take(&data, &size) ;
  unsigned int mode = head & 1 ? SMTPD_DATA_RAW : SMTPD_DATA_DOT ;
  uint64_t max = (head >> 1) * 8 ;
  size_t nsteps = fuzz_take(&data, &size) % 8 ;
  uint8_t steps[8] ;
  char const *s ;
  result_t whole = { .out = STRALLOC_ZERO }, split = { .out = STRALLOC_ZERO }, bytes = { .out = STRALLOC_ZERO } ;
  stralloc want = STRALLOC_ZERO ;
  for (size_t k = 0 ; k < nsteps ; k++) steps[k] = fuzz_take(&data, &size) ;
  s = (char const *)data ;

  feed(&whole, mode, max, s, size, 0, 0, 0) ;
  feed(&split, mode, max, s, size, steps, nsteps, 0) ;
  feed(&bytes, mode, max, s, size, 0, 0, 1) ;
  fuzz_assert(same(&whole, &split)) ;
  fuzz_assert(same(&whole, &bytes)) ;

  fuzz_assert(whole.out.len <= whole.consumed) ;
  fuzz_assert(whole.d.bytes <= whole.consumed) ;
  fuzz_assert(whole.out.len == (max && whole.d.bytes > max ? max : whole.d.bytes)) ;
  fuzz_assert(smtpd_data_toobig(&whole.d) == (max && whole.d.bytes > max)) ;
  if (mode == SMTPD_DATA_DOT)
  {
    size_t end = dotend(s, size) ;
    fuzz_assert(whole.d.done == !!end) ;
    fuzz_assert(whole.consumed == (end ? end : size)) ;
    if (end && !whole.d.bare)
    {
      expect(&want, s, end - 3, mode) ;
      fuzz_assert(whole.d.bytes == want.len) ;
      fuzz_assert(fuzz_same(whole.out.s, whole.out.len, want.s, whole.out.len)) ;
    }
  }
  else
  {
    fuzz_assert(whole.consumed == size && whole.d.done) ;
    if (!whole.d.bare)
    {
      expect(&want, s, size, mode) ;
      fuzz_assert(whole.d.bytes == want.len) ;
      fuzz_assert(fuzz_same(whole.out.s, whole.out.len, want.s, whole.out.len)) ;
    }
  }
  stralloc_free(&whole.out) ;
  stralloc_free(&split.out) ;
  stralloc_free(&bytes.out) ;
  stralloc_free(&want) ;
}

static void params (uint8_t const *data, size_t size)
{
  char *s = fuzz_guard(data, &size) ;   /* no NUL after the bytes, and a read past them faults */
  for (int mail = 0 ; mail < 2 ; mail++)
  {
    smtpd_params_t p = SMTPD_PARAMS_ZERO ;
    char const *bad = 0 ;
    int r = smtpd_params(&p, s, size, mail, &bad) ;
    fuzz_assert(r == SMTPD_PARAM_OK || r == SMTPD_PARAM_SYNTAX || r == SMTPD_PARAM_UNKNOWN) ;
    if (r) fuzz_assert(bad >= s && bad < s + size && *bad != ' ') ;
    if (!mail && r == SMTPD_PARAM_OK) for (size_t i = 0 ; i < size ; i++) fuzz_assert(s[i] == ' ') ;
  }
}

static void authplain (uint8_t const *data, size_t size)
{
  char *s = fuzz_strdup(data, size) ;
  char const *user = 0, *pass = 0 ;
  if (smtpd_authplain(s, size, &user, &pass))
  {
    size_t ul = strlen(user), pl = strlen(pass) ;
    fuzz_assert(user > s && user + ul < pass && pass + pl == s + size) ;
    fuzz_assert(ul && user[-1] == 0 && pass[-1] == 0) ;
  }
  free(s) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *d, size_t size)
{
  data(d, size) ;
  params(d, size) ;
  authplain(d, size) ;
  return 0 ;
}
