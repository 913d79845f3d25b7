/* timedio.c: see timedio.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include "timedio.h"

int timedio_prepare (int fd, int writing, unsigned int secs)
{
  struct timeval tv = { .tv_sec = secs, .tv_usec = 0 } ;
  if (setsockopt(fd, SOL_SOCKET, writing ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, sizeof tv) == 0)
    return ndelay_off(fd) < 0 ? -1 : TIMEDIO_SOCKET ;
  return ndelay_on(fd) < 0 ? -1 : TIMEDIO_POLL ;
}

int timedio_wait (int fd, int writing, unsigned int secs)
{
  struct pollfd x = { .fd = fd, .events = writing ? POLLOUT : POLLIN, .revents = 0 } ;
  int ms = secs > INT_MAX / 1000 ? INT_MAX : (int)secs * 1000 ;
  for (;;)
  {
    int r = poll(&x, 1, ms) ;
    if (r > 0) return 1 ;   /* POLLHUP or POLLERR too: the read or write that follows says what */
    if (!r) return (errno = ETIMEDOUT, 0) ;
    if (errno != EINTR) return 0 ;
  }
}

static int again (void)
{
  return errno == EAGAIN || errno == EWOULDBLOCK ;
}

/* A read is far more often early than late on a conversation's descriptor: poll first. */
ssize_t timedio_fill (buffer *b, int mode, unsigned int secs)
{
  for (;;)
  {
    ssize_t r ;
    if (mode == TIMEDIO_POLL && !timedio_wait(buffer_fd(b), 0, secs)) return -1 ;
    r = buffer_fill(b) ;
    if (r >= 0) return r ;
    if (errno == EINTR) continue ;
    if (!again()) return -1 ;
    if (mode == TIMEDIO_SOCKET) return (errno = ETIMEDOUT, -1) ;
  }
}

/* A write usually finds room: try it first. */
int timedio_flush (buffer *b, int mode, unsigned int secs)
{
  while (!buffer_flush(b))
  {
    if (errno == EINTR) continue ;
    if (!again()) return 0 ;
    if (mode == TIMEDIO_SOCKET) return (errno = ETIMEDOUT, 0) ;
    if (!timedio_wait(buffer_fd(b), 1, secs)) return 0 ;
  }
  return 1 ;
}

int timedio_write (int fd, char const *s, size_t len, unsigned int secs)
{
  while (len)
  {
    ssize_t w = fd_write(fd, s, len) ;
    if (w > 0) { s += w ; len -= w ; continue ; }
    if (w < 0 && !again()) return 0 ;
    if (!timedio_wait(fd, 1, secs)) return 0 ;
  }
  return 1 ;
}

ssize_t timedio_read (int fd, char *s, size_t len, unsigned int secs)
{
  for (;;)
  {
    ssize_t r = fd_read(fd, s, len) ;
    if (r >= 0) return r ;
    if (!again()) return -1 ;
    if (!timedio_wait(fd, 0, secs)) return -1 ;
  }
}
