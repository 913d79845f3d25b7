/* envelope.c: build and check qmail-queue envelopes. One byte-at-a-time state machine checks
   the format for both the in-memory parser and the buffer reader, so they refuse exactly the
   same inputs and the reader can stop at the first bad byte. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include "envelope.h"

typedef struct envelope_scan_s envelope_scan_t ;
struct envelope_scan_s
{
  size_t nrec ;    /* complete records seen */
  size_t reclen ;  /* address bytes of the current record */
  int inrec ;
} ;
#define ENVELOPE_SCAN_ZERO { 0, 0, 0 }

/* One more byte: 0 to go on, 1 on the final NUL, or an ENVELOPE_E* error. */
static int envelope_step (envelope_scan_t *st, char c, size_t addrmax)
{
  if (st->inrec)
  {
    if (!c)
    {
      st->inrec = 0 ;
      st->nrec++ ;
    }
    else if (++st->reclen > addrmax) return ENVELOPE_ETOOLONG ;
    return 0 ;
  }
  if (!st->nrec)
  {
    if (c != 'F') return ENVELOPE_ENOF ;
  }
  else if (!c) return st->nrec > 1 ? 1 : ENVELOPE_ENORCPT ;
  else if (c != 'T') return ENVELOPE_EBADREC ;
  st->inrec = 1 ;
  st->reclen = 0 ;
  return 0 ;
}

/* The error for input that ended before the final NUL. */
static int envelope_eof (envelope_scan_t const *st)
{
  return st->inrec ? ENVELOPE_ENONUL : !st->nrec ? ENVELOPE_ENOF : ENVELOPE_ENOFINAL ;
}

static int envelope_record (stralloc *sa, char letter, char const *addr)
{
  size_t n = strlen(addr) ;
  if (!stralloc_readyplus(sa, n + 2)) return 0 ;
  sa->s[sa->len++] = letter ;
  memcpy(sa->s + sa->len, addr, n) ;
  sa->len += n ;
  sa->s[sa->len++] = 0 ;
  return 1 ;
}

int envelope_start (stralloc *sa, char const *sender)
{
  return envelope_record(sa, 'F', sender) ;
}

int envelope_addrcpt (stralloc *sa, char const *rcpt)
{
  return envelope_record(sa, 'T', rcpt) ;
}

int envelope_finish (stralloc *sa)
{
  return stralloc_0(sa) ;
}

int envelope_build (stralloc *sa, char const *sender, char const *const *rcpts, size_t n)
{
  size_t start = sa->len, i = 0 ;
  if (!n) return (errno = EINVAL, 0) ;
  if (!envelope_start(sa, sender)) goto err ;
  for (; i < n ; i++) if (!envelope_addrcpt(sa, rcpts[i])) goto err ;
  if (!envelope_finish(sa)) goto err ;
  return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}

int envelope_parse (envelope_t *env, char const *s, size_t len, size_t addrmax)
{
  envelope_scan_t st = ENVELOPE_SCAN_ZERO ;
  size_t i = 0 ;
  int r = 0 ;
  while (!r && i < len) r = envelope_step(&st, s[i++], addrmax) ;
  if (!r) r = envelope_eof(&st) ;
  else if (r == 1 && i < len) r = ENVELOPE_ETRAILING ;
  if (r < 0) return (errno = EINVAL, r) ;
  /* s is "F" sender NUL "T" rcpt NUL ... NUL, every address NUL-terminated */
  env->sender = s + 1 ;
  env->senderlen = strlen(env->sender) ;
  env->rcpt = env->sender + env->senderlen + 2 ;
  env->rcptn = st.nrec - 1 ;
  return ENVELOPE_OK ;
}

char const *envelope_nextrcpt (char const *r)
{
  return r + strlen(r) + 2 ;
}

int envelope_read (buffer *b, stralloc *sa, size_t maxtotal, size_t addrmax, envelope_t *env)
{
  envelope_scan_t st = ENVELOPE_SCAN_ZERO ;
  int r = 0 ;
  sa->len = 0 ;
  for (;;)
  {
    struct iovec v[2] ;
    size_t taken = 0 ;
    ssize_t got ;
    buffer_rpeek(b, v) ;
    for (unsigned int k = 0 ; k < 2 && !r ; k++)
    {
      char const *p = v[k].iov_base ;
      size_t i = 0 ;
      while (!r && i < v[k].iov_len)
      {
        if (sa->len + i >= maxtotal) r = ENVELOPE_ETOOBIG ;
        else r = envelope_step(&st, p[i++], addrmax) ;
      }
      if (i && !stralloc_catb(sa, p, i)) return ENVELOPE_ENOMEM ;
      taken += i ;
    }
    buffer_rseek(b, taken) ;
    if (r) break ;
    got = buffer_fill(b) ;
    if (got < 0) return ENVELOPE_EREAD ;
    if (!got)
    {
      r = envelope_eof(&st) ;
      break ;
    }
  }
  if (r < 0) return (errno = EINVAL, r) ;
  return envelope_parse(env, sa->s, sa->len, addrmax) ;
}

char const *envelope_strerror (int e)
{
  static char const *const msg[] =
  {
    "no error",
    "envelope does not start with an F record",
    "envelope ends inside a record",
    "envelope lacks its final NUL",
    "address too long in envelope",
    "envelope has no recipient",
    "data after the end of the envelope",
    "unknown record in envelope",
    "envelope too big",
    "unable to read envelope",
    "out of memory reading envelope"
  } ;
  return e <= 0 && -e < (int)(sizeof msg / sizeof *msg) ? msg[-e] : "unknown envelope error" ;
}
