/* spawnjob.c: see spawnjob.h. */

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
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
