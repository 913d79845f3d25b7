/* qmqp.c: fuzz the QMQP packet parser: the outer netstring's length prefix, then the inside
   (the whole input is also tried as an inside). What unpacks gives a well-formed envelope with
   the same recipients, and packing it again gives a packet that unpacks to the same. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "envelope.h"
#include "qmqp.h"
#include "common/fuzz.h"

static void inside (char const *s, size_t len, size_t addrmax)
{
  qmqp_t q, q2 ;
  stralloc env = STRALLOC_ZERO, pkt = STRALLOC_ZERO ;
  envelope_t e = ENVELOPE_ZERO ;
  char const *a, *a2, *r ;
  size_t pos = 0, pos2 = 0, alen, alen2, n = 0, plen, hdr ;
  if (!qmqp_unpack(&q, s, len, addrmax)) return ;
  fuzz_assert(q.msg >= s && q.msg + q.msglen <= s + len) ;
  fuzz_assert(q.sender > q.msg && q.sender + q.senderlen <= s + len && q.senderlen <= addrmax) ;
  fuzz_assert(q.rcpt > q.sender && q.rcpt + q.rcptbytes == s + len && q.rcptn >= 1) ;
  while (qmqp_nextrcpt(&q, &pos, &a, &alen))
  {
    fuzz_assert(a > q.rcpt && a + alen < s + len && alen <= addrmax && !memchr(a, 0, alen)) ;
    n++ ;
  }
  fuzz_assert(n == q.rcptn && pos == q.rcptbytes) ;
  fuzz_assert(qmqp_envelope(&env, &q)) ;
  fuzz_assert(envelope_parse(&e, env.s, env.len, addrmax) == ENVELOPE_OK) ;
  fuzz_assert(e.rcptn == q.rcptn && fuzz_same(e.sender, e.senderlen, q.sender, q.senderlen)) ;
  fuzz_assert(qmqp_pack(&pkt, q.msg, q.msglen, &e)) ;
  fuzz_assert(qmqp_header(pkt.s, pkt.len, &plen, &hdr) == 1) ;
  fuzz_assert(hdr + plen + 1 == pkt.len && pkt.s[pkt.len - 1] == ',') ;
  fuzz_assert(qmqp_unpack(&q2, pkt.s + hdr, plen, addrmax)) ;
  fuzz_assert(fuzz_same(q2.msg, q2.msglen, q.msg, q.msglen)) ;
  fuzz_assert(q2.rcptn == q.rcptn) ;
  pos = 0 ;
  r = e.rcpt ;
  while (qmqp_nextrcpt(&q, &pos, &a, &alen))
  {
    fuzz_assert(qmqp_nextrcpt(&q2, &pos2, &a2, &alen2)) ;
    fuzz_assert(fuzz_same(a, alen, a2, alen2) && fuzz_same(r, strlen(r), a, alen)) ;
    r += alen + 2 ;
  }
  stralloc_free(&env) ;
  stralloc_free(&pkt) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  size_t addrmax = fuzz_take(&data, &size) ;
  char const *s = (char const *)data ;
  size_t n, hdr ;
  int r ;
  if (!addrmax) addrmax = ENVELOPE_ADDRMAX ;
  for (size_t len = 0 ; len <= size && len < 16 ; len++)
  {
    /* a prefix that is complete stays complete as bytes arrive */
    r = qmqp_header(s, len, &n, &hdr) ;
    fuzz_assert(r >= -1 && r <= 1) ;
    if (r == 1) fuzz_assert(hdr <= len && hdr >= 2 && s[hdr - 1] == ':') ;
  }
  r = qmqp_header(s, size, &n, &hdr) ;
  if (r == 1 && n <= size - hdr && size - hdr - n >= 1 && s[hdr + n] == ',') inside(s + hdr, n, addrmax) ;
  inside(s, size, addrmax) ;
  return 0 ;
}
