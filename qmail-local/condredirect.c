/* condredirect: run a program and, if it exits 0, forward the message to a new address and
   tell qmail-local to stop reading the .qmail (condredirect(1)). The program reads our fd 0;
   the forward rereads it from offset 0 (a file, as qmail-local gives), with $DTLINE first and
   $NEWSENDER as the envelope sender, through qmail-queue.
   fd 1: "condredirect: qp PID" after a forward. Exit 99 forwarded, 0 program exited neither
   0 nor 111, 111 temporary failure, 100 permanent failure or usage. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/buffer.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "qmail-local-core.h"

#define USAGE "condredirect newaddress program [ arg ... ]"

static pid_t redirect (char const *to)
{
  char const *sender = getenv("NEWSENDER"), *dtline = getenv("DTLINE"), *text ;
  pid_t qp = 0 ;
  int wstat, code ;
  if (!sender) strerr_dienotset(100, "NEWSENDER") ;
  if (!dtline) strerr_dienotset(100, "DTLINE") ;
  if (lseek(0, 0, SEEK_SET) < 0) strerr_diefusys(111, "rewind the message") ;
  wstat = qlocal_inject(0, dtline, strlen(dtline), sender, &to, 1, &qp, &text) ;
  if (wstat < 0) strerr_diefusys(111, text) ;
  code = qlocal_qqresult(wstat, &text) ;
  if (code) strerr_dief(code, "unable to forward message: ", text) ;
  return qp ;
}

int main (int argc, char const *const *argv)
{
  char fmt[PID_FMT] ;
  int wstat ;
  PROG = "condredirect" ;
  if (argc < 3) strerr_dieusage(100, USAGE) ;
  wstat = qlocal_run(argv + 2) ;
  if (wstat < 0) strerr_diefusys(111, "run ", argv[2]) ;
  if (WIFSIGNALED(wstat)) strerr_dief(111, argv[2], " crashed") ;
  if (WEXITSTATUS(wstat) == 111) strerr_dief(111, "temporary child error") ;
  if (WEXITSTATUS(wstat)) return 0 ;
  fmt[pid_fmt(fmt, redirect(argv[1]))] = 0 ;
  if (buffer_puts(buffer_1, "condredirect: qp ") < 0 || buffer_puts(buffer_1, fmt) < 0
   || buffer_putsflush(buffer_1, "\n") < 0) strerr_diefusys(111, "write to stdout") ;
  return 99 ;
}
