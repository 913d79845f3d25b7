/* envelope.c: fuzz envelope_parse, and envelope_read fed through a reader that hands out the
   bytes in chunks of a fuzzer-chosen size: both agree on well-formed input, the parsed
   addresses lie inside the bytes, and building the envelope again gives the same bytes. */
#include <string.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include "envelope.h"
#include "../chunkread.h"
#include "common/fuzz.h"

static void check (envelope_t const *env, char const *s, size_t len, size_t addrmax)
{
  stralloc again = STRALLOC_ZERO ;
  char const *r = env->rcpt ;
  fuzz_assert(env->rcptn >= 1) ;
  fuzz_assert(env->sender == s + 1 && env->senderlen <= addrmax) ;
  fuzz_assert(strlen(env->sender) == env->senderlen) ;
  if (!envelope_start(&again, env->sender)) abort() ;
  for (size_t i = 0 ; i < env->rcptn ; i++)
  {
    fuzz_assert(r > s && r < s + len) ;
    fuzz_assert(strlen(r) <= addrmax) ;
    if (!envelope_addrcpt(&again, r)) abort() ;
    if (i + 1 < env->rcptn) r = envelope_nextrcpt(r) ;
  }
  if (!envelope_finish(&again)) abort() ;
  fuzz_assert(fuzz_same(again.s, again.len, s, len)) ;
  stralloc_free(&again) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  size_t step = fuzz_take(&data, &size) % 16 + 1 ;
  size_t addrmax = fuzz_take(&data, &size) % 64 ;
  size_t maxtotal = 16 * (size_t)fuzz_take(&data, &size) ;
  char const *s = (char const *)data ;
  envelope_t env = ENVELOPE_ZERO, renv = ENVELOPE_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  char space[64] ;
  buffer b ;
  int p, r ;
  if (!addrmax) addrmax = ENVELOPE_ADDRMAX ;
  if (!maxtotal) maxtotal = 1 << 20 ;

  p = envelope_parse(&env, s, size, addrmax) ;
  fuzz_assert(envelope_strerror(p) != 0) ;
  if (p == ENVELOPE_OK) check(&env, s, size, addrmax) ;

  src = s ; srclen = size ; srcpos = 0 ; chunk = step ; readerr = 0 ;
  buffer_init(&b, &chunkread, 0, space, sizeof space) ;
  r = envelope_read(&b, &sa, maxtotal, addrmax, &renv) ;
  fuzz_assert(envelope_strerror(r) != 0) ;
  fuzz_assert(r != ENVELOPE_ETRAILING && r != ENVELOPE_EREAD && r != ENVELOPE_ENOMEM) ;
  if (r == ENVELOPE_OK)
  {
    /* what was read is a complete envelope, the rest stays unread */
    fuzz_assert(sa.len <= size && sa.len <= maxtotal && fuzz_same(sa.s, sa.len, s, sa.len)) ;
    fuzz_assert(srcpos - buffer_len(&b) == sa.len) ;
    fuzz_assert(envelope_parse(&env, sa.s, sa.len, addrmax) == ENVELOPE_OK) ;
    check(&renv, sa.s, sa.len, addrmax) ;
    fuzz_assert(p == (sa.len == size ? ENVELOPE_OK : ENVELOPE_ETRAILING)) ;
  }
  else if (r != ENVELOPE_ETOOBIG) fuzz_assert(p == r) ;
  if (p == ENVELOPE_OK && size <= maxtotal) fuzz_assert(r == ENVELOPE_OK) ;
  stralloc_free(&sa) ;
  return 0 ;
}
