/* maildirname.c: make and take apart Maildir file names. The unique part ends at the first
   ":"; inside it the first two dots split seconds, delivery identifier and host, and the
   first "," after the host starts the ",K=V" fields. Flags are kept as a 52-bit set, bit
   order being ASCII order, so writing the set back gives sorted flags. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>
#include "maildirname.h"

#define MAILDIRNAME_FIXED (UINT64_FMT + 2 + UINT32_FMT + 1 + PID_FMT + 1 + UINT64_FMT + 1 + UINT64_FMT + 1)

int maildirname_now (maildirname_t *m)
{
  struct timespec ts ;
  if (clock_gettime(CLOCK_REALTIME, &ts) == -1) return 0 ;
  m->sec = ts.tv_sec ;
  m->usec = ts.tv_nsec / 1000 ;
  m->pid = getpid() ;
  return 1 ;
}

static int maildirname_hostsafe (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ;
}

static int maildirname_cathost (stralloc *sa, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (maildirname_hostsafe(c))
    {
      if (!stralloc_catb(sa, s + i, 1)) return 0 ;
    }
    else
    {
      char esc[4] = { '\\', '0' + (c >> 6), '0' + ((c >> 3) & 7), '0' + (c & 7) } ;
      if (!stralloc_catb(sa, esc, 4)) return 0 ;
    }
  }
  return 1 ;
}

int maildirname_make (stralloc *sa, maildirname_t const *m)
{
  stralloc host = STRALLOC_ZERO ;
  char fixed[MAILDIRNAME_FIXED] ;
  char const *h = m->host ;
  size_t hlen, n, start = sa->len ;
  if (!h)
  {
    if (sagethostname(&host) < 0) return 0 ;
    h = host.s ;
    hlen = host.len ;
  }
  else hlen = strlen(h) ;
  if (!hlen)
  {
    errno = EINVAL ;
    goto err ;
  }
  n = uint64_fmt(fixed, m->sec) ;
  fixed[n++] = '.' ;
  fixed[n++] = 'M' ;
  n += uint32_fmt(fixed + n, m->usec) ;
  fixed[n++] = 'P' ;
  n += pid_fmt(fixed + n, m->pid) ;
  if (m->hasdevino)
  {
    fixed[n++] = 'V' ;
    n += dev_xfmt(fixed + n, m->dev) ;
    fixed[n++] = 'I' ;
    n += ino_xfmt(fixed + n, m->ino) ;
  }
  fixed[n++] = '.' ;
  if (!stralloc_catb(sa, fixed, n) || !maildirname_cathost(sa, h, hlen)) goto err ;
  if (m->hassize)
  {
    char size[3 + UINT64_FMT] = ",S=" ;
    if (!stralloc_catb(sa, size, 3 + uint64_fmt(size + 3, m->size))) goto err ;
  }
  stralloc_free(&host) ;
  return 1 ;
 err:
  sa->len = start ;
  stralloc_free(&host) ;
  return 0 ;
}

/* Bounded decimal scan: the digits consumed, 0 if none or on overflow. */
static size_t maildirname_scan (char const *s, size_t len, uint64_t *u)
{
  uint64_t v = 0 ;
  size_t i = 0 ;
  for (; i < len && s[i] >= '0' && s[i] <= '9' ; i++)
  {
    unsigned int d = s[i] - '0' ;
    if (v > (UINT64_MAX - d) / 10) return 0 ;
    v = v * 10 + d ;
  }
  if (i) *u = v ;
  return i ;
}

/* The bit of a flag letter, or -1. */
static int maildirname_flagbit (unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return 26 + c - 'a' ;
  return -1 ;
}

static int maildirname_flagset (uint64_t *set, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    int b = maildirname_flagbit(s[i]) ;
    if (b < 0) return 0 ;
    *set |= (uint64_t)1 << b ;
  }
  return 1 ;
}

/* Any Maildir name: not empty, no leading dot, no "/" or NUL, a non-empty unique part, and
   info, if present, ":2,LETTERS". Gives the unique part's length and the flags. */
static int maildirname_split (char const *name, size_t len, size_t *uniqlen, uint64_t *set)
{
  char const *colon = memchr(name, ':', len) ;
  size_t end = colon ? (size_t)(colon - name) : len ;
  *set = 0 ;
  if (!end || name[0] == '.' || memchr(name, '/', len) || memchr(name, 0, len)) return 0 ;
  if (colon && (len - end < 3 || name[end + 1] != '2' || name[end + 2] != ','
             || !maildirname_flagset(set, name + end + 3, len - end - 3))) return 0 ;
  *uniqlen = end ;
  return 1 ;
}

/* The ",K=V" fields in s[0..len), s[0] being ','. */
static int maildirname_fields (maildirname_parts_t *p, char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len)
  {
    size_t v ;
    char key ;
    if (len - i < 3 || maildirname_flagbit(s[i + 1]) < 0 || s[i + 2] != '=') return 0 ;
    key = s[i + 1] ;
    i += 3 ;
    v = i ;
    while (i < len && s[i] != ',') i++ ;
    if (key == 'S')
    {
      size_t n = maildirname_scan(s + v, i - v, &p->size) ;
      if (p->hassize || !n || n != i - v) return 0 ;
      p->hassize = 1 ;
    }
  }
  return 1 ;
}

int maildirname_parse (maildirname_parts_t *p, char const *name, size_t len)
{
  maildirname_parts_t r = MAILDIRNAME_PARTS_ZERO ;
  uint64_t set ;
  size_t i, j, h ;
  if (!maildirname_split(name, len, &r.uniqlen, &set)) goto bad ;
  i = maildirname_scan(name, r.uniqlen, &r.sec) ;
  if (!i || i >= r.uniqlen || name[i] != '.') goto bad ;
  for (j = i + 1 ; j < r.uniqlen && name[j] != '.' ; j++) ;
  if (j == i + 1 || j >= r.uniqlen) goto bad ;
  for (h = j + 1 ; h < r.uniqlen && name[h] != ',' ; h++) ;
  if (h == j + 1 || !maildirname_fields(&r, name + h, r.uniqlen - h)) goto bad ;
  r.host = name + j + 1 ;
  r.hostlen = h - j - 1 ;
  if (r.uniqlen < len)
  {
    r.hasinfo = 1 ;
    r.flags = name + r.uniqlen + 3 ;
    r.flagslen = len - r.uniqlen - 3 ;
  }
  *p = r ;
  return 1 ;
 bad:
  errno = EINVAL ;
  return 0 ;
}

static int maildirname_write (stralloc *sa, char const *name, size_t uniqlen, uint64_t set)
{
  char info[3 + 52] = ":2," ;
  size_t n = 3 ;
  for (int b = 0 ; b < 52 ; b++)
    if (set & (uint64_t)1 << b) info[n++] = b < 26 ? 'A' + b : 'a' + b - 26 ;
  if (!stralloc_readyplus(sa, uniqlen + n)) return 0 ;
  memcpy(sa->s + sa->len, name, uniqlen) ;
  memcpy(sa->s + sa->len + uniqlen, info, n) ;
  sa->len += uniqlen + n ;
  return 1 ;
}

int maildirname_setflags (stralloc *sa, char const *name, size_t len, char const *flags)
{
  uint64_t set, want = 0 ;
  size_t uniqlen ;
  if (!maildirname_split(name, len, &uniqlen, &set) || !maildirname_flagset(&want, flags, strlen(flags)))
    return (errno = EINVAL, 0) ;
  return maildirname_write(sa, name, uniqlen, want) ;
}

int maildirname_mergeflags (stralloc *sa, char const *name, size_t len, char const *add, char const *del)
{
  uint64_t set, plus = 0, minus = 0 ;
  size_t uniqlen ;
  if (!maildirname_split(name, len, &uniqlen, &set)
   || (add && !maildirname_flagset(&plus, add, strlen(add)))
   || (del && !maildirname_flagset(&minus, del, strlen(del))))
    return (errno = EINVAL, 0) ;
  return maildirname_write(sa, name, uniqlen, (set | plus) & ~minus) ;
}
