/* queue.c: queue file names and the message file header of doc/QUEUE.md. The parser trusts
   nothing it reads: every offset is checked against the bytes actually present. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include "queue.h"

int queue_split (unsigned int *split)
{
  char buf[16] ;
  ssize_t r = openreadnclose("split", buf, sizeof buf - 1) ;
  size_t n, len ;
  if (r < 0)
  {
    if (errno != ENOENT) return 0 ;
    *split = QUEUE_SPLIT_DEFAULT ;
    return 1 ;
  }
  len = r ;
  while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) len-- ;
  buf[len] = 0 ;
  n = uint_scan(buf, split) ;
  if (!len || n != len || !*split || *split > QUEUE_SPLIT_MAX) return (errno = EINVAL, 0) ;
  return 1 ;
}

int queue_path (stralloc *sa, char const *dir, uint64_t id, unsigned int split)
{
  char fmt[UINT64_FMT] ;
  sa->len = 0 ;
  if (!stralloc_cats(sa, dir) || !stralloc_catb(sa, "/", 1)) return 0 ;
  if (!stralloc_catb(sa, fmt, uint64_fmt(fmt, id % split)) || !stralloc_catb(sa, "/", 1)) return 0 ;
  if (!stralloc_catb(sa, fmt, uint64_fmt(fmt, id)) || !stralloc_0(sa)) return 0 ;
  sa->len-- ;
  return 1 ;
}

static int isstate (char c)
{
  return c == QUEUE_NEW || c == QUEUE_LOCAL || c == QUEUE_REMOTE || c == QUEUE_DONE || c == QUEUE_FAILED ;
}

static void fmt_fixed (char *s, uint64_t u)
{
  for (int i = QUEUE_NUMLEN - 1 ; i >= 0 ; i--, u /= 10) s[i] = '0' + u % 10 ;
}

static int cat_record (stralloc *sa, char letter, char const *s, size_t len)
{
  return stralloc_catb(sa, &letter, 1) && stralloc_catb(sa, s, len) && stralloc_0(sa) ;
}

static int cat_number (stralloc *sa, char letter, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  return cat_record(sa, letter, fmt, uint64_fmt(fmt, u)) ;
}

int queuehdr_build (stralloc *sa, uint64_t birth, uint64_t uid, uint64_t pid, envelope_t const *env, size_t reserve, size_t *bodyoff)
{
  size_t start = sa->len, need ;
  char const *rcpt = env->rcpt ;
  char fixed[QUEUE_NUMLEN] ;
  if (!stralloc_catb(sa, QUEUE_MAGIC "000000000000\n", QUEUE_PREFIX)) goto err ;
  if (!cat_number(sa, 'B', birth) || !cat_number(sa, 'U', uid) || !cat_number(sa, 'P', pid)) goto err ;
  if (!cat_record(sa, 'F', env->sender, env->senderlen)) goto err ;
  for (size_t i = 0 ; i < env->rcptn ; i++)
  {
    if (!cat_record(sa, QUEUE_NEW, rcpt, strlen(rcpt))) goto err ;
    if (i + 1 < env->rcptn) rcpt = envelope_nextrcpt(rcpt) ;
  }
  fmt_fixed(fixed, 0) ;
  if (!cat_record(sa, 'N', fixed, QUEUE_NUMLEN) || !cat_record(sa, 'M', fixed, QUEUE_NUMLEN)) goto err ;
  if (!stralloc_0(sa)) goto err ;
  need = sa->len - start ;
  if (need < reserve) need = reserve ;
  if (!stralloc_readyplus(sa, need - (sa->len - start))) goto err ;
  memset(sa->s + sa->len, 0, need - (sa->len - start)) ;
  sa->len = start + need ;
  fmt_fixed(sa->s + start + 5, need) ;
  *bodyoff = need ;
  return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}

static int scan_fixed (char const *s, uint64_t *u)
{
  uint64_t v = 0 ;
  for (int i = 0 ; i < QUEUE_NUMLEN ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (s[i] - '0') ;
  }
  *u = v ;
  return 1 ;
}

static int scan_record_number (char const *s, size_t len, uint64_t *u)
{
  return len && uint64_scan(s, u) == len ;
}

int queuehdr_parse (queuehdr_t *h, char const *s, size_t len)
{
  queuehdr_t z = QUEUEHDR_ZERO ;
  size_t pos = QUEUE_PREFIX ;
  int seen = 0 ;
  *h = z ;
  if (len < QUEUE_PREFIX || memcmp(s, QUEUE_MAGIC, 5) || s[QUEUE_PREFIX - 1] != '\n') goto bad ;
  if (!scan_fixed(s + 5, &h->bodyoff) || h->bodyoff > len || h->bodyoff <= QUEUE_PREFIX) goto bad ;
  len = h->bodyoff ;
  for (;;)
  {
    char const *rec = s + pos ;
    size_t rlen = byte_chr(rec, len - pos, 0) ;
    if (pos + rlen >= len) goto bad ;   /* no NUL before the body */
    if (!rlen) { h->end = pos ; break ; }
    switch (rec[0])
    {
      case 'B' : if (!scan_record_number(rec + 1, rlen - 1, &h->birth)) goto bad ; seen |= 1 ; break ;
      case 'U' : if (!scan_record_number(rec + 1, rlen - 1, &h->uid)) goto bad ; break ;
      case 'P' : if (!scan_record_number(rec + 1, rlen - 1, &h->pid)) goto bad ; break ;
      case 'F' : if (h->sender) goto bad ; h->sender = rec + 1 ; break ;
      case 'N' :
        if (rlen != QUEUE_NUMLEN + 1 || !scan_fixed(rec + 1, &h->nextlocal)) goto bad ;
        h->nextlocaloff = pos + 1 ; break ;
      case 'M' :
        if (rlen != QUEUE_NUMLEN + 1 || !scan_fixed(rec + 1, &h->nextremote)) goto bad ;
        h->nextremoteoff = pos + 1 ; break ;
      case QUEUE_NEW : case QUEUE_LOCAL : case QUEUE_REMOTE : case QUEUE_DONE : case QUEUE_FAILED :
        if (!h->sender) goto bad ;
        if (!h->rcptn++) h->rcptstart = pos ;
        else if (seen & 2) goto bad ;   /* recipients are contiguous */
        break ;
      default : goto bad ;
    }
    if (h->rcptn && !isstate(rec[0])) seen |= 2 ;
    pos += rlen + 1 ;
  }
  if (!(seen & 1) || !h->sender || !h->rcptn) goto bad ;
  return 1 ;
 bad:
  errno = EINVAL ;
  return 0 ;
}

int queuehdr_read (int fd, stralloc *sa, queuehdr_t *h)
{
  uint64_t bodyoff ;
  sa->len = 0 ;
  if (!stralloc_ready(sa, QUEUE_PREFIX)) return 0 ;
  if (pread(fd, sa->s, QUEUE_PREFIX, 0) != QUEUE_PREFIX) return (errno = errno ? errno : EINVAL, 0) ;
  if (memcmp(sa->s, QUEUE_MAGIC, 5) || !scan_fixed(sa->s + 5, &bodyoff) || bodyoff > QUEUE_HDRMAX || bodyoff <= QUEUE_PREFIX)
    return (errno = EINVAL, 0) ;
  if (!stralloc_ready(sa, bodyoff)) return 0 ;
  {
    ssize_t r = pread(fd, sa->s, bodyoff, 0) ;
    if (r < 0) return 0 ;
    if ((uint64_t)r != bodyoff) return (errno = EINVAL, 0) ;
  }
  sa->len = bodyoff ;
  return queuehdr_parse(h, sa->s, sa->len) ;
}

int queuehdr_nextrcpt (queuehdr_t const *h, char const *s, size_t *pos, queuercpt_t *r)
{
  if (*pos < h->rcptstart || *pos >= h->end || !isstate(s[*pos])) return 0 ;
  r->state = s[*pos] ;
  r->addr = s + *pos + 1 ;
  r->off = *pos ;
  *pos += strlen(s + *pos) + 1 ;
  return 1 ;
}

int queuehdr_setstate (int fd, size_t off, char state)
{
  if (pwrite(fd, &state, 1, off) != 1) return 0 ;
  return fdatasync(fd) == 0 ;
}

int queuehdr_settime (int fd, size_t off, uint64_t t)
{
  char fixed[QUEUE_NUMLEN] ;
  fmt_fixed(fixed, t) ;
  if (pwrite(fd, fixed, QUEUE_NUMLEN, off) != QUEUE_NUMLEN) return 0 ;
  return fdatasync(fd) == 0 ;
}
