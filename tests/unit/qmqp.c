/* Unit tests of lib/qmqp.c: packing, strict netstring headers, unpacking and its refusals. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "envelope.h"
#include "qmqp.h"
#include "../tap.h"

static int unpack (char const *s, qmqp_t *q)
{
  return qmqp_unpack(q, s, strlen(s), ENVELOPE_ADDRMAX) ;
}

int main (void)
{
  stralloc sa = STRALLOC_ZERO, env = STRALLOC_ZERO ;
  envelope_t e = ENVELOPE_ZERO ;
  qmqp_t q ;
  size_t n, hdr, pos = 0, alen ;
  char const *a ;
  static char const envbytes[] = "Fs@example.org\0Ta@x\0Tb@y\0" ;
  ok(envelope_parse(&e, envbytes, sizeof envbytes, ENVELOPE_ADDRMAX) == ENVELOPE_OK, "envelope") ;
  ok(qmqp_pack(&sa, "Subject: x\n\nhi\n", 15, &e), "pack") ;
  is_mem(sa.s, sa.len, "48:15:Subject: x\n\nhi\n,13:s@example.org,3:a@x,3:b@y,,", "packet bytes") ;
  is(qmqp_header(sa.s, sa.len, &n, &hdr), 1, "outer header") ;
  is(n, 48, "outer length") ;
  ok(qmqp_unpack(&q, sa.s + hdr, n, ENVELOPE_ADDRMAX), "unpack") ;
  is_mem(q.msg, q.msglen, "Subject: x\n\nhi\n", "message") ;
  is_mem(q.sender, q.senderlen, "s@example.org", "sender") ;
  is(q.rcptn, 2, "two recipients") ;
  ok(qmqp_nextrcpt(&q, &pos, &a, &alen), "first recipient") ;
  is_mem(a, alen, "a@x", "its address") ;
  ok(qmqp_nextrcpt(&q, &pos, &a, &alen) && !qmqp_nextrcpt(&q, &pos, &a, &alen), "then one more, then none") ;
  ok(qmqp_envelope(&env, &q), "envelope for qmail-queue") ;
  ok(env.len == sizeof envbytes && !memcmp(env.s, envbytes, env.len), "same envelope bytes") ;

  is(qmqp_header("12", 2, &n, &hdr), 0, "header incomplete") ;
  is(qmqp_header("012:", 4, &n, &hdr), -1, "leading zero refused") ;
  is(qmqp_header("0:", 2, &n, &hdr), 1, "zero length fine") ;
  is(qmqp_header(":", 1, &n, &hdr), -1, "no digits refused") ;
  is(qmqp_header("12a", 3, &n, &hdr), -1, "letter refused") ;
  is(qmqp_header("999999999999:", 13, &n, &hdr), -1, "too many digits refused") ;
  is(qmqp_header(" 1:", 3, &n, &hdr), -1, "leading blank refused") ;
  ok(unpack("1:x,0:,3:a@b,", &q), "null sender") ;
  ok(!unpack("1:x,0:,", &q), "no recipient refused") ;
  ok(!unpack("1:x,0:,3:a@b", &q), "missing comma refused") ;
  ok(!unpack("1:x,0:,4:a@b,", &q), "length past the end refused") ;
  ok(!unpack("2:x,0:,3:a@b,", &q), "wrong length refused") ;
  ok(!unpack("1:x,0:,3:a@b;", &q), "wrong terminator refused") ;
  ok(!qmqp_unpack(&q, "1:x,0:,3:a\0b,", 13, ENVELOPE_ADDRMAX), "NUL in an address refused") ;
  ok(!qmqp_unpack(&q, "1:x,0:,3:a@b,", 13, 2), "address over the limit refused") ;
  ok(!unpack("1:x,0:,03:a@b,", &q), "leading zero inside refused") ;
  stralloc_free(&sa) ;
  stralloc_free(&env) ;
  return tap_done() ;
}
