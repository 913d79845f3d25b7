/* bouncesaying: bounce the message with the given text (bouncesaying(1)). With a program,
   run it first (message on our fd 0, output on our fds 1 and 2) and bounce only if it
   exits 0; if it exits 111, defer; on any other code, accept (exit 0).
   fd 2: the text, alone, when bouncing. Exit 100 bounce, 111 temporary failure (also when
   the program crashed or could not be run), 0 accept. */

#include <sys/wait.h>
#include <skalibs/strerr.h>
#include "qmail-local-core.h"

#define USAGE "bouncesaying error [ program [ arg ... ] ]"

int main (int argc, char const *const *argv)
{
  PROG = "bouncesaying" ;
  if (argc < 2) strerr_dieusage(100, USAGE) ;
  if (argc > 2)
  {
    int wstat = qlocal_run(argv + 2) ;
    if (wstat < 0) strerr_diefusys(111, "run ", argv[2]) ;
    if (WIFSIGNALED(wstat)) strerr_dief(111, argv[2], " crashed") ;
    if (WEXITSTATUS(wstat) == 111) strerr_dief(111, "temporary child error") ;
    if (WEXITSTATUS(wstat)) return 0 ;
  }
  strerr_die(100, argv[1]) ;
}
