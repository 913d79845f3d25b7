/* preline: feed the message on fd 0 to a program with $UFLINE, $RPLINE and $DTLINE before it,
   for programs that expect an mbox "From " line or qmail's added header fields (preline(1)).
   The program reads a pipe on its fd 0 and shares our fds 1 and 2.
   Exit: the program's exit code; 111 if it crashed, could not be run, or input failed;
   100 for a usage error or a variable that qmail-local did not set. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include "qmail-local-core.h"

#define USAGE "preline [ -dfrDFR ] program [ arg ... ]"

extern char **environ ;

static char const *need (char const *name, int want)
{
  char const *x ;
  if (!want) return 0 ;
  x = getenv(name) ;
  if (!x) strerr_dienotset(100, name) ;
  return x ;
}

/* 1 when everything was written, 0 when the program closed its input early (EPIPE). */
static int feed (int fd, char const *const *lines)
{
  char ibuf[BUFFER_INSIZE], obuf[BUFFER_OUTSIZE] ;
  buffer in = BUFFER_INIT(&buffer_read, 0, ibuf, sizeof ibuf) ;
  buffer out = BUFFER_INIT(&buffer_write, fd, obuf, sizeof obuf) ;
  unsigned long long n = 0 ;
  int r = 1 ;
  for (unsigned int i = 0 ; i < 3 && r ; i++)
    if (lines[i]) r = buffer_putsall(&out, lines[i], &(size_t){ 0 }) ;
  if (r) r = qlocal_copy(&out, &in, 0, &n) ;
  if (r == QLOCAL_EREAD) strerr_diefusys(111, "read the message") ;
  if (r > 0) r = buffer_flush(&out) ;
  if (r <= 0 && errno != EPIPE) strerr_diefusys(111, "write to the program") ;
  return r > 0 ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  int uf = 1, rp = 1, dt = 1, fd, wstat ;
  char const *lines[3] ;
  pid_t pid ;
  PROG = "preline" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "dfrDFR", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'd': dt = 0 ; break ;
      case 'D': dt = 1 ; break ;
      case 'f': uf = 0 ; break ;
      case 'F': uf = 1 ; break ;
      case 'r': rp = 0 ; break ;
      case 'R': rp = 1 ; break ;
      default: strerr_dieusage(100, USAGE) ;
    }
  }
  argv += l.ind ;
  if (!*argv) strerr_dieusage(100, USAGE) ;
  lines[0] = need("UFLINE", uf) ;
  lines[1] = need("RPLINE", rp) ;
  lines[2] = need("DTLINE", dt) ;
  pid = child_spawn1_pipe(argv[0], argv, (char const *const *)environ, &fd, 0) ;
  if (!pid) strerr_diefusys(111, "run ", argv[0]) ;
  sig_ignore(SIGPIPE) ;  /* after the spawn: the program keeps the default action */
  feed(fd, lines) ;
  fd_close(fd) ;
  if (wait_pid(pid, &wstat) != pid) strerr_diefusys(111, "wait for ", argv[0]) ;
  if (WIFSIGNALED(wstat)) strerr_dief(111, argv[0], " crashed") ;
  return WEXITSTATUS(wstat) ;
}
