/* qmqp.c: see qmqp.h. */
#include <errno.h>
#include <string.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
#include "qmqp.h"

int qmqp_netstring (stralloc *sa, char const *s, size_t len)
{
  char num[SIZE_FMT] ;
  return stralloc_catb(sa, num, size_fmt(num, len)) && stralloc_catb(sa, ":", 1) && stralloc_catb(sa, s, len) && stralloc_catb(sa, ",", 1) ;
}

int qmqp_pack (stralloc *sa, char const *msg, size_t msglen, envelope_t const *env)
{
  stralloc in = STRALLOC_ZERO ;
  char const *r = env->rcpt ;
  int ok = qmqp_netstring(&in, msg, msglen) && qmqp_netstring(&in, env->sender, env->senderlen) ;
  for (size_t i = 0 ; ok && i < env->rcptn ; i++, r = i < env->rcptn ? envelope_nextrcpt(r) : r)
    ok = qmqp_netstring(&in, r, strlen(r)) ;
  ok = ok && qmqp_netstring(sa, in.s, in.len) ;
  stralloc_free(&in) ;
  return ok ;
}

int qmqp_header (char const *s, size_t len, size_t *n, size_t *hdr)
{
  size_t i = 0, v = 0 ;
  for (; i < len && s[i] >= '0' && s[i] <= '9' ; i++)
  {
    if (i == QMQP_LENDIGITS || (i && s[0] == '0')) return (errno = EPROTO, -1) ;
    v = v * 10 + (s[i] - '0') ;
  }
  if (i == len) return 0 ;
  if (!i || s[i] != ':') return (errno = EPROTO, -1) ;
  *n = v ;
  *hdr = i + 1 ;
  return 1 ;
}

/* One complete netstring at s[*pos..len). */
static int one (char const *s, size_t len, size_t *pos, char const **out, size_t *outlen)
{
  size_t n, hdr ;
  if (qmqp_header(s + *pos, len - *pos, &n, &hdr) != 1) return (errno = EPROTO, 0) ;
  if (n > len - *pos - hdr || len - *pos - hdr - n < 1 || s[*pos + hdr + n] != ',') return (errno = EPROTO, 0) ;
  *out = s + *pos + hdr ;
  *outlen = n ;
  *pos += hdr + n + 1 ;
  return 1 ;
}

static int address_ok (char const *a, size_t len, size_t addrmax)
{
  return len <= addrmax && byte_chr(a, len, 0) == len ;
}

int qmqp_unpack (qmqp_t *q, char const *s, size_t len, size_t addrmax)
{
  size_t pos = 0 ;
  if (!one(s, len, &pos, &q->msg, &q->msglen) || !one(s, len, &pos, &q->sender, &q->senderlen)) return 0 ;
  if (!address_ok(q->sender, q->senderlen, addrmax)) return (errno = EPROTO, 0) ;
  q->rcpt = s + pos ;
  q->rcptbytes = len - pos ;
  q->rcptn = 0 ;
  while (pos < len)
  {
    char const *a ;
    size_t alen ;
    if (!one(s, len, &pos, &a, &alen) || !address_ok(a, alen, addrmax)) return (errno = EPROTO, 0) ;
    q->rcptn++ ;
  }
  return q->rcptn ? 1 : (errno = EPROTO, 0) ;
}

int qmqp_nextrcpt (qmqp_t const *q, size_t *pos, char const **a, size_t *alen)
{
  if (*pos >= q->rcptbytes) return 0 ;
  return one(q->rcpt, q->rcptbytes, pos, a, alen) ;
}

int qmqp_envelope (stralloc *sa, qmqp_t const *q)
{
  size_t pos = 0, alen ;
  char const *a ;
  if (!stralloc_catb(sa, "F", 1) || !stralloc_catb(sa, q->sender, q->senderlen) || !stralloc_0(sa)) return 0 ;
  while (qmqp_nextrcpt(q, &pos, &a, &alen))
    if (!stralloc_catb(sa, "T", 1) || !stralloc_catb(sa, a, alen) || !stralloc_0(sa)) return 0 ;
  return stralloc_0(sa) ;
}
