/* spawnjob.c: see spawnjob.h. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/alloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/bytestr.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "exitcode.h"
#include "spawnjob.h"

long spawnjob_next (char const *s, size_t len, char const **f, unsigned int *slot, unsigned int slotmax)
{
  size_t p = 0 ;
  for (unsigned int i = 0 ; i < SPAWNJOB_FIELDS ; i++)
  {
    size_t n = byte_chr(s + p, len - p, 0) ;
    if (p + n >= len) return 0 ;
    f[i] = s + p ;
    p += n + 1 ;
  }
  if (!*f[0] || uint_scan(f[0], slot) != strlen(f[0]) || *slot >= slotmax) return -1 ;
  return (long)p ;
}

int spawnchild_readout (spawnchild_t *c, size_t max)
{
  char buf[4096] ;
  ssize_t r = fd_read(c->fd, buf, sizeof buf) ;
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 1 ;
  if (r <= 0) { fd_close(c->fd) ; c->fd = -1 ; return 1 ; }
  if (c->out.len >= max) return 1 ;
  return stralloc_catb(&c->out, buf, (size_t)r > max - c->out.len ? max - c->out.len : (size_t)r) ;
}

void spawnchild_reap (spawnchild_t *kids, unsigned int n)
{
  for (;;)
  {
    int wstat ;
    pid_t pid = waitpid(-1, &wstat, WNOHANG) ;
    if (pid <= 0) return ;
    for (unsigned int i = 0 ; i < n ; i++)
      if (kids[i].pid == pid) { kids[i].wstat = wstat ; kids[i].exited = 1 ; }
  }
}

/* The complete jobs at the front of in: each started in a free entry. Bytes used. */
static size_t spawnjob_jobs (stralloc const *in, spawnchild_t *kids, unsigned int *n, unsigned int max,
  spawnjob_start_fn *start, void *ctx)
{
  size_t pos = 0 ;
  for (;;)
  {
    char const *f[SPAWNJOB_FIELDS] ;
    unsigned int i, slot ;
    long r = spawnjob_next(in->s + pos, in->len - pos, f, &slot, max) ;
    if (!r) return pos ;
    if (r < 0) strerr_dief(QX_BUG, "garbled job from qmail-send") ;
    for (i = 0 ; i < *n && kids[i].pid ; i++) ;
    if (i == max) strerr_dief(QX_BUG, "more jobs than qmail-send may have in progress") ;
    if (i == *n) (*n)++ ;
    kids[i].slot = slot ;
    (*start)(kids + i, f, ctx) ;
    pos += r ;
  }
}

void spawnjob_loop (spawnchild_t *kids, unsigned int max, size_t outmax,
  spawnjob_start_fn *start, spawnjob_report_fn *report, void *ctx)
{
  iopause_fd *xs = alloc((2 + (size_t)max) * sizeof *xs) ;
  stralloc in = STRALLOC_ZERO ;
  unsigned int n = 0 ;
  int eof = 0, sigfd = selfpipe_init() ;
  if (!xs) strerr_diefusys(QX_TEMP, "allocate memory") ;
  if (sigfd < 0 || !selfpipe_trap(SIGCHLD)) strerr_diefusys(QX_TEMP, "trap SIGCHLD") ;
  sig_ignore(SIGPIPE) ;
  ndelay_on(0) ;
  for (;;)
  {
    unsigned int nx = 0, busy = 0 ;
    for (unsigned int i = 0 ; i < n ; i++)
      if (kids[i].pid && kids[i].exited && kids[i].fd < 0) (*report)(kids + i, ctx) ;
    while (n && !kids[n - 1].pid) n-- ;
    for (unsigned int i = 0 ; i < n ; i++) busy += !!kids[i].pid ;
    if (eof && !busy) break ;
    xs[nx].fd = sigfd ; xs[nx++].events = IOPAUSE_READ ;
    if (!eof) { xs[nx].fd = 0 ; xs[nx++].events = IOPAUSE_READ ; }
    for (unsigned int i = 0 ; i < n ; i++)
      if (kids[i].pid && kids[i].fd >= 0) { xs[nx].fd = kids[i].fd ; xs[nx++].events = IOPAUSE_READ ; }
    if (iopause_g(xs, nx, 0) < 0 && errno != EINTR) strerr_diefusys(QX_TEMP, "iopause") ;
    if (xs[0].revents & IOPAUSE_READ)
    {
      while (selfpipe_read() > 0) ;
      spawnchild_reap(kids, n) ;
    }
    for (unsigned int i = 0 ; i < n ; i++)
      if (kids[i].pid && kids[i].fd >= 0 && !spawnchild_readout(kids + i, outmax)) strerr_diefusys(QX_TEMP, "allocate memory") ;
    if (!eof && xs[1].revents)
    {
      char buf[8192] ;
      ssize_t r = fd_read(0, buf, sizeof buf) ;
      if (!r) eof = 1 ;
      else if (r > 0)
      {
        size_t used ;
        if (!stralloc_catb(&in, buf, r)) strerr_diefusys(QX_TEMP, "allocate memory") ;
        used = spawnjob_jobs(&in, kids, &n, max, start, ctx) ;
        memmove(in.s, in.s + used, in.len - used) ;
        in.len -= used ;
      }
      else if (errno != EAGAIN && errno != EINTR) strerr_diefusys(QX_TEMP, "read jobs") ;
    }
  }
  stralloc_free(&in) ;
  alloc_free(xs) ;
}
