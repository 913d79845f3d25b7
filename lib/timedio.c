/* timedio.c: see timedio.h. */
#include <errno.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include "timedio.h"

static int wait (int fd, int events, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = events } ;
  int r = iopause_g(&x, 1, deadline) ;
  if (r < 0) return 0 ;
  if (!r) return (errno = ETIMEDOUT, 0) ;
  return 1 ;
}

int timedio_write (int fd, char const *s, size_t len, unsigned int secs)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, secs) ;
  while (len)
  {
    ssize_t w = fd_write(fd, s, len) ;
    if (w > 0) { s += w ; len -= w ; continue ; }
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
    if (!wait(fd, IOPAUSE_WRITE, &deadline)) return 0 ;
  }
  return 1 ;
}

ssize_t timedio_read (int fd, char *s, size_t len, unsigned int secs)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, secs) ;
  for (;;)
  {
    ssize_t r = fd_read(fd, s, len) ;
    if (r >= 0) return r ;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1 ;
    if (!wait(fd, IOPAUSE_READ, &deadline)) return -1 ;
  }
}
