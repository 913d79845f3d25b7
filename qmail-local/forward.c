/* forward: send the message on fd 0 (from its current offset) to the given addresses through
   qmail-queue, with $DTLINE before it and $NEWSENDER as the envelope sender (forward(1));
   meant for .qmail lines such as "|forward joe@example.org".
   fd 1: "forward: qp PID" on success. Exit 0 queued, 100 permanent failure (qmail-queue's
   codes 11-40, usage, $NEWSENDER or $DTLINE unset), 111 temporary failure. */

#include <stdlib.h>
#include <string.h>
#include <skalibs/buffer.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "qmail-local-core.h"

#define USAGE "forward address ..."

int main (int argc, char const *const *argv)
{
  char const *sender, *dtline, *text ;
  char fmt[PID_FMT] ;
  pid_t qp = 0 ;
  int wstat, code ;
  PROG = "forward" ;
  if (argc < 2) strerr_dieusage(100, USAGE) ;
  sender = getenv("NEWSENDER") ;
  if (!sender) strerr_dienotset(100, "NEWSENDER") ;
  dtline = getenv("DTLINE") ;
  if (!dtline) strerr_dienotset(100, "DTLINE") ;
  wstat = qlocal_inject(0, dtline, strlen(dtline), sender, argv + 1, argc - 1, &qp, &text) ;
  if (wstat < 0) strerr_diefusys(111, text) ;
  code = qlocal_qqresult(wstat, &text) ;
  if (code) strerr_dief(code, "unable to forward message: ", text) ;
  fmt[pid_fmt(fmt, qp)] = 0 ;
  if (buffer_puts(buffer_1, "forward: qp ") < 0 || buffer_puts(buffer_1, fmt) < 0
   || buffer_putsflush(buffer_1, "\n") < 0) strerr_diefusys(111, "write to stdout") ;
  return 0 ;
}
