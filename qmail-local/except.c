/* except: run a program and reverse its verdict (except(1)): exit 0 becomes 100 (bounce),
   100 becomes 0; other codes pass through. Typical use: "|except condition-program".
   The program gets our fds 0, 1 and 2. Exit as above; 111 if it crashed or could not be
   run; 100 for usage. */

#include <sys/wait.h>
#include <skalibs/strerr.h>
#include "qmail-local-core.h"

#define USAGE "except program [ arg ... ]"

int main (int argc, char const *const *argv)
{
  int wstat ;
  PROG = "except" ;
  if (argc < 2) strerr_dieusage(100, USAGE) ;
  wstat = qlocal_run(argv + 1) ;
  if (wstat < 0) strerr_diefusys(111, "run ", argv[1]) ;
  if (WIFSIGNALED(wstat)) strerr_dief(111, argv[1], " crashed") ;
  switch (WEXITSTATUS(wstat))
  {
    case 0: return 100 ;
    case 100: return 0 ;
    default: return WEXITSTATUS(wstat) ;
  }
}
