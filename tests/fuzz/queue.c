/* queue.c: fuzz queuehdr_parse on message file headers: every recipient record and time field
   lies before the body, nextrcpt visits exactly rcptn recipients, and a header built again from
   what was parsed parses to the same sender and recipients. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "envelope.h"
#include "queue.h"
#include "common/fuzz.h"

static void rebuild (queuehdr_t const *h, char const *s)
{
  stralloc env = STRALLOC_ZERO, hdr = STRALLOC_ZERO ;
  envelope_t e = ENVELOPE_ZERO ;
  queuehdr_t h2 ;
  queuercpt_t r, r2 ;
  size_t pos = h->rcptstart, pos2, bodyoff ;
  if (!envelope_start(&env, h->sender)) abort() ;
  while (queuehdr_nextrcpt(h, s, &pos, &r)) if (!envelope_addrcpt(&env, r.addr)) abort() ;
  if (!envelope_finish(&env)) abort() ;
  if (envelope_parse(&e, env.s, env.len, (size_t)-1) != ENVELOPE_OK) goto end ;  /* a NUL in F */
  if (!queuehdr_build(&hdr, h->birth, h->uid, h->pid, &e, QUEUE_RESERVE, &bodyoff)) abort() ;
  fuzz_assert(bodyoff == hdr.len) ;
  fuzz_assert(queuehdr_parse(&h2, hdr.s, hdr.len)) ;
  fuzz_assert(!strcmp(h2.sender, h->sender)) ;
  fuzz_assert(h2.rcptn == h->rcptn && h2.birth == h->birth) ;
  pos = h->rcptstart ; pos2 = h2.rcptstart ;
  while (queuehdr_nextrcpt(h, s, &pos, &r))
  {
    fuzz_assert(queuehdr_nextrcpt(&h2, hdr.s, &pos2, &r2)) ;
    fuzz_assert(r2.state == QUEUE_NEW && !strcmp(r.addr, r2.addr)) ;
  }
  fuzz_assert(!queuehdr_nextrcpt(&h2, hdr.s, &pos2, &r2)) ;
 end:
  stralloc_free(&env) ;
  stralloc_free(&hdr) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  queuehdr_t h ;
  queuercpt_t r ;
  size_t pos, n = 0 ;
  if (!queuehdr_parse(&h, s, size)) return 0 ;
  fuzz_assert(h.bodyoff <= size && h.bodyoff > QUEUE_PREFIX) ;
  fuzz_assert(h.end < h.bodyoff && !s[h.end]) ;
  fuzz_assert(h.sender > s && h.sender < s + h.end) ;
  fuzz_assert(h.rcptn >= 1 && h.rcptstart < h.end) ;
  if (h.nextlocaloff) fuzz_assert(h.nextlocaloff + QUEUE_NUMLEN <= h.end) ;
  if (h.nextremoteoff) fuzz_assert(h.nextremoteoff + QUEUE_NUMLEN <= h.end) ;
  pos = h.rcptstart ;
  while (queuehdr_nextrcpt(&h, s, &pos, &r))
  {
    fuzz_assert(r.off < h.end && r.addr == s + r.off + 1 && s[r.off] == r.state) ;
    fuzz_assert(pos <= h.end) ;
    n++ ;
  }
  fuzz_assert(n == h.rcptn) ;
  rebuild(&h, s) ;
  return 0 ;
}
