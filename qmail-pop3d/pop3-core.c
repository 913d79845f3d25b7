/* pop3-core.c: the POP3 pieces shared by qmail-popup and qmail-pop3d (see pop3-core.h). */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/iopause.h>
#include <skalibs/types.h>
#include "md5.h"
#include "pop3-core.h"

/* Wait until fd is ready for events or the deadline passes (errno ETIMEDOUT). */
static int pop3_wait (int fd, short events, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = events, .revents = 0 } ;
  int r = iopause_g(&x, 1, deadline) ;
  if (r < 0) return 0 ;
  if (!r) { errno = ETIMEDOUT ; return 0 ; }
  return 1 ;
}

int pop3_getline (pop3_in_t *in, char **line, tain const *deadline)
{
  for (;;)
  {
    char *s = in->buf + in->start ;
    char *lf = memchr(s, '\n', in->len - in->start) ;
    ssize_t r ;
    size_t room ;
    if (lf)
    {
      in->start = lf + 1 - in->buf ;
      if (in->toolong) { in->toolong = 0 ; return -2 ; }
      if (lf > s && lf[-1] == '\r') lf-- ;
      *lf = 0 ;
      *line = s ;
      return 1 ;
    }
    if (in->start)
    {
      memmove(in->buf, s, in->len - in->start) ;
      in->len -= in->start ;
      in->start = 0 ;
    }
    if (in->len >= POP3_LINEMAX) { in->toolong = 1 ; in->len = 0 ; }
    /* wait first: a client that waits for each reply has sent nothing more yet, and a
       read before the wait would cost a syscall that fails with EAGAIN */
    if (!pop3_wait(in->fd, IOPAUSE_READ, deadline)) return -1 ;
    room = POP3_LINEMAX - in->len ;
    r = fd_read(in->fd, in->buf + in->len, room < in->maxread ? room : in->maxread) ;
    if (r > 0) { in->len += r ; continue ; }
    if (!r) return 0 ;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1 ;
  }
}

int pop3_lineready (pop3_in_t const *in)
{
  return !!memchr(in->buf + in->start, '\n', in->len - in->start) ;
}

int pop3_flush (pop3_out_t *out, tain const *deadline)
{
  size_t done = 0 ;
  while (done < out->sa.len)
  {
    ssize_t w = fd_write(out->fd, out->sa.s + done, out->sa.len - done) ;
    if (w > 0) { done += w ; continue ; }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
    if (!pop3_wait(out->fd, IOPAUSE_WRITE, deadline)) return 0 ;
  }
  out->sa.len = 0 ;
  return 1 ;
}

void pop3_nodelay (int fd)
{
  int one = 1 ;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ;  /* fails harmlessly on a pipe */
}

char *pop3_split (char *line, char **arg)
{
  char *s = line ;
  for (; *s && *s != ' ' ; s++)
    if (*s >= 'a' && *s <= 'z') *s -= 32 ;
  if (*s) *s++ = 0 ;
  while (*s == ' ') s++ ;
  *arg = s ;
  return line ;
}

int pop3_numbers (char const *arg, uint64_t *v, unsigned int max)
{
  unsigned int n = 0 ;
  while (*arg)
  {
    size_t len = 0 ;
    uint64_t u = 0 ;
    while (arg[len] >= '0' && arg[len] <= '9') len++ ;
    if (!len || n == max || len > 18 || uint64_scan(arg, &u) != len) return -1 ;
    v[n++] = u ;
    arg += len ;
    if (*arg && *arg != ' ') return -1 ;
    while (*arg == ' ') arg++ ;
  }
  return n ;
}

void pop3_xmit_init (pop3_xmit_t *x, int limited, uint64_t lines)
{
  x->linelen = 0 ; x->prevcr = 0 ; x->inbody = 0 ;
  x->limited = limited ; x->lines = lines ; x->done = 0 ;
}

/* A line ended: the header ends at the first empty line (or one of a lone CR) */
static void pop3_xmit_eol (pop3_xmit_t *x)
{
  if (x->inbody)
  {
    if (x->limited && x->lines && !--x->lines) x->done = 1 ;
  }
  else if (!x->linelen || (x->linelen == 1 && x->prevcr))
  {
    x->inbody = 1 ;
    if (x->limited && !x->lines) x->done = 1 ;
  }
  x->linelen = 0 ;
  x->prevcr = 0 ;
}

int pop3_xmit (pop3_xmit_t *x, stralloc *out, char const *s, size_t len)
{
  if (!stralloc_readyplus(out, len + len / 16 + 8)) return 0 ;  /* most messages in one go */
  while (len && !x->done)
  {
    char const *lf = memchr(s, '\n', len) ;
    size_t n = lf ? (size_t)(lf - s) : len ;
    if (!x->linelen && *s == '.' && !stralloc_catb(out, ".", 1)) return 0 ;
    if (!stralloc_catb(out, s, n)) return 0 ;
    if (n) x->prevcr = s[n - 1] == '\r' ;
    x->linelen += n ;
    if (!lf) break ;
    if (!(x->prevcr ? stralloc_catb(out, "\n", 1) : stralloc_catb(out, "\r\n", 2))) return 0 ;
    pop3_xmit_eol(x) ;
    s += n + 1 ; len -= n + 1 ;
  }
  return 1 ;
}

int pop3_xmit_end (pop3_xmit_t *x, stralloc *out)
{
  if (!x->done && x->linelen && !stralloc_catb(out, "\r\n", 2)) return 0 ;
  return stralloc_catb(out, ".\r\n", 3) ;
}

void pop3_size_add (pop3_size_t *z, char const *s, size_t len)
{
  z->size += len ;
  while (len)
  {
    char const *lf = memchr(s, '\n', len) ;
    size_t n = lf ? (size_t)(lf - s) : len ;
    if (n) { z->prevcr = s[n - 1] == '\r' ; z->bol = 0 ; }
    if (!lf) break ;
    if (!z->prevcr) z->size++ ;
    z->prevcr = 0 ; z->bol = 1 ;
    s += n + 1 ; len -= n + 1 ;
  }
}

uint64_t pop3_size_end (pop3_size_t const *z)
{
  return z->size ;  /* the CRLF added after a last line without one is not counted, as Dovecot does */
}

int pop3_namesize (char const *name, uint64_t *w)
{
  size_t end = strcspn(name, ":") ;
  for (size_t i = 0 ; i + 3 < end ; i++)
    if (name[i] == ',' && name[i+1] == 'W' && name[i+2] == '=')
    {
      size_t len = uint64_scan(name + i + 3, w) ;
      char c = name[i + 3 + len] ;
      return len && len <= 18 && (c == ',' || c == ':' || !c) ;
    }
  return 0 ;
}

int pop3_uidl (stralloc *sa, char const *name)
{
  size_t len = strcspn(name, ":") ;
  int plain = len && len <= POP3_UIDLMAX ;
  for (size_t i = 0 ; plain && i < len ; i++)
    if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e) plain = 0 ;
  if (!plain)
  {
    char hex[2 * MD5_DIGEST + 1] ;
    md5_hex(hex, name, len) ;
    return stralloc_catb(sa, hex, 2 * MD5_DIGEST) ;
  }
  return stralloc_catb(sa, name, len) ;
}

int pop3_timestamp (stralloc *sa, uint64_t pid, uint64_t seconds, char const *host)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, "<", 1) && stralloc_catb(sa, fmt, uint64_fmt(fmt, pid))
    && stralloc_catb(sa, ".", 1) && stralloc_catb(sa, fmt, uint64_fmt(fmt, seconds))
    && stralloc_catb(sa, "@", 1) && stralloc_cats(sa, host) && stralloc_catb(sa, ">", 1) ;
}

void pop3_wipe (void *s, size_t len)
{
  volatile unsigned char *p = s ;
  while (len--) *p++ = 0 ;
}
