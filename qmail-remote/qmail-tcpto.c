/* qmail-tcpto: prints qmail-remote's dead-host table (queue/lock/tcpto): one line per host
   that failed to connect recently, "IP failures N last T seconds ago", and "dead" while
   qmail-remote skips it. No arguments. Exits 0, 111 if the table cannot be read. */

#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/ip46.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "exitcode.h"
#include "home.h"
#include "remote-core.h"

#define USAGE "qmail-tcpto"
#define TABLE "queue/lock/tcpto"

static void line (unsigned char const *rec, uint64_t now)
{
  ip46full ip = IP46FULL_ZERO ;
  char fmt[IP46_FMT], num[UINT64_FMT] ;
  uint64_t t = 0 ;
  for (int i = 0 ; i < 8 ; i++) t = t << 8 | rec[24 + i] ;
  if (rec[0] == 6) ip46full_from_ip6(&ip, (char const *)rec + 8) ;
  else ip46full_from_ip4(&ip, (char const *)rec + 8) ;
  buffer_put(buffer_1, fmt, ip46full_fmt(fmt, &ip)) ;
  buffer_puts(buffer_1, " failures ") ;
  buffer_put(buffer_1, num, uint64_fmt(num, rec[1])) ;
  buffer_puts(buffer_1, " last ") ;
  buffer_put(buffer_1, num, uint64_fmt(num, now > t ? now - t : 0)) ;
  buffer_puts(buffer_1, " seconds ago") ;
  buffer_puts(buffer_1, rec[1] >= TCPTO_DEADAFTER && now < t + TCPTO_HOLD ? " dead\n" : "\n") ;
}

int main (int argc, char const *const *argv)
{
  unsigned char t[TCPTO_SIZE] = { 0 } ;
  uint64_t now = (uint64_t)time(0) ;
  ssize_t r ;
  int fd ;
  PROG = "qmail-tcpto" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  home_chdir() ;
  fd = open_read(TABLE) ;
  if (fd < 0)
  {
    if (errno == ENOENT) return 0 ;
    strerr_diefusys(QX_TEMP, "open ", TABLE) ;
  }
  r = fd_read(fd, (char *)t, sizeof t) ;
  if (r < 0) strerr_diefusys(QX_TEMP, "read ", TABLE) ;
  for (unsigned int i = 0 ; i < TCPTO_SLOTS ; i++)
    if (t[i * TCPTO_RECLEN] == 4 || t[i * TCPTO_RECLEN] == 6) line(t + i * TCPTO_RECLEN, now) ;
  if (!buffer_flush(buffer_1)) strerr_diefusys(QX_TEMP, "write to stdout") ;
  return 0 ;
}
