/* qmail-tcpok: empties qmail-remote's dead-host table (queue/lock/tcpto), so that every host
   is tried again at once. Run it as root or qmailr. No arguments. Exits 0, 111 on error. */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include "exitcode.h"
#include "home.h"
#include "remote-core.h"

#define USAGE "qmail-tcpok"
#define TABLE "queue/lock/tcpto"

int main (int argc, char const *const *argv)
{
  static char const zero[TCPTO_SIZE] = { 0 } ;
  int fd ;
  PROG = "qmail-tcpok" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  home_chdir() ;
  fd = open2(TABLE, O_RDWR) ;
  if (fd < 0) strerr_diefusys(QX_TEMP, "open ", TABLE) ;
  /* the same lock qmail-remote takes before it changes a record */
  if (fd_lock(fd, 1, 0) < 1) strerr_diefusys(QX_TEMP, "lock ", TABLE) ;
  if (pwrite(fd, zero, sizeof zero, 0) < (ssize_t)sizeof zero) strerr_diefusys(QX_TEMP, "write ", TABLE) ;
  fd_close(fd) ;
  return 0 ;
}
