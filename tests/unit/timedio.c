/* Unit tests of lib/timedio.c: a socket times out in the kernel, a pipe in poll(); reads,
   writes, end of file and ETIMEDOUT in both modes. Each timeout costs one second. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include "timedio.h"
#include "../tap.h"

static int nonblocking (int fd)
{
  return !!(fcntl(fd, F_GETFL) & O_NONBLOCK) ;
}

/* Fill the pipe or socket until a non-blocking write would wait. */
static void stuff (int fd)
{
  char junk[4096] = { 0 } ;
  int fl = fcntl(fd, F_GETFL) ;
  fcntl(fd, F_SETFL, fl | O_NONBLOCK) ;
  while (write(fd, junk, sizeof junk) > 0) ;
  fcntl(fd, F_SETFL, fl) ;
}

static void sockets (void)
{
  int sv[2] ;
  char inbuf[64], outbuf[64] ;
  buffer in, out ;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) { perror("socketpair") ; _exit(111) ; }
  fcntl(sv[0], F_SETFL, O_NONBLOCK) ;
  is(timedio_prepare(sv[0], 0, 1), TIMEDIO_SOCKET, "socket: kernel timeout for reads") ;
  ok(!nonblocking(sv[0]), "socket: made blocking") ;
  is(timedio_prepare(sv[0], 1, 1), TIMEDIO_SOCKET, "socket: kernel timeout for writes") ;
  buffer_init(&in, &fd_readv, sv[0], inbuf, sizeof inbuf) ;
  buffer_init(&out, &fd_writev, sv[0], outbuf, sizeof outbuf) ;
  write(sv[1], "hello", 5) ;
  is(timedio_fill(&in, TIMEDIO_SOCKET, 1), 5, "socket: fill reads what is there") ;
  is_mem(inbuf, 5, "hello", "socket: the bytes") ;
  errno = 0 ;
  is(timedio_fill(&in, TIMEDIO_SOCKET, 1), -1, "socket: fill gives up when nothing comes") ;
  is(errno, ETIMEDOUT, "socket: ETIMEDOUT") ;
  buffer_putnoflush(&out, "reply\r\n", 7) ;
  ok(timedio_flush(&out, TIMEDIO_SOCKET, 1), "socket: flush") ;
  is(read(sv[1], inbuf, sizeof inbuf), 7, "socket: the peer got it") ;
  stuff(sv[0]) ;
  buffer_putnoflush(&out, "more", 4) ;
  errno = 0 ;
  ok(!timedio_flush(&out, TIMEDIO_SOCKET, 1), "socket: flush gives up when the peer reads nothing") ;
  is(errno, ETIMEDOUT, "socket: ETIMEDOUT on write") ;
  close(sv[1]) ;
  buffer_init(&in, &fd_readv, sv[0], inbuf, sizeof inbuf) ;
  while (timedio_fill(&in, TIMEDIO_SOCKET, 1) > 0) in.c.p = in.c.n = 0 ;
  is(timedio_fill(&in, TIMEDIO_SOCKET, 1), 0, "socket: end of file") ;
  close(sv[0]) ;
}

static void pipes (void)
{
  int p[2] ;
  char inbuf[64], outbuf[64], c ;
  buffer in, out ;
  if (pipe(p) < 0) { perror("pipe") ; _exit(111) ; }
  is(timedio_prepare(p[0], 0, 1), TIMEDIO_POLL, "pipe: poll mode") ;
  ok(nonblocking(p[0]), "pipe: made non-blocking") ;
  is(timedio_prepare(p[1], 1, 1), TIMEDIO_POLL, "pipe: poll mode for writes") ;
  buffer_init(&in, &fd_readv, p[0], inbuf, sizeof inbuf) ;
  buffer_init(&out, &fd_writev, p[1], outbuf, sizeof outbuf) ;
  buffer_putnoflush(&out, "abc", 3) ;
  ok(timedio_flush(&out, TIMEDIO_POLL, 1), "pipe: flush") ;
  is(timedio_fill(&in, TIMEDIO_POLL, 1), 3, "pipe: fill") ;
  errno = 0 ;
  is(timedio_fill(&in, TIMEDIO_POLL, 1), -1, "pipe: fill gives up when nothing comes") ;
  is(errno, ETIMEDOUT, "pipe: ETIMEDOUT") ;
  errno = 0 ;
  is(timedio_read(p[0], &c, 1, 1), -1, "pipe: timedio_read gives up too") ;
  is(errno, ETIMEDOUT, "pipe: ETIMEDOUT from timedio_read") ;
  ok(timedio_write(p[1], "x", 1, 1), "pipe: timedio_write") ;
  is(timedio_read(p[0], &c, 1, 1), 1, "pipe: timedio_read") ;
  is(c, 'x', "pipe: the byte") ;
  stuff(p[1]) ;
  buffer_putnoflush(&out, "more", 4) ;
  errno = 0 ;
  ok(!timedio_flush(&out, TIMEDIO_POLL, 1), "pipe: flush gives up on a full pipe") ;
  is(errno, ETIMEDOUT, "pipe: ETIMEDOUT on write") ;
  errno = 0 ;
  ok(!timedio_write(p[1], "y", 1, 1), "pipe: timedio_write gives up on a full pipe") ;
  is(errno, ETIMEDOUT, "pipe: ETIMEDOUT from timedio_write") ;
  close(p[1]) ;
  buffer_init(&in, &fd_readv, p[0], inbuf, sizeof inbuf) ;
  while (timedio_fill(&in, TIMEDIO_POLL, 1) > 0) in.c.p = in.c.n = 0 ;
  is(timedio_fill(&in, TIMEDIO_POLL, 1), 0, "pipe: end of file") ;
  ok(timedio_wait(p[0], 0, 1), "pipe: wait returns at the end of file") ;
  close(p[0]) ;
}

int main (void)
{
  sockets() ;
  pipes() ;
  return tap_done() ;
}
