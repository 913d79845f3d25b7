/* qqspawn.c: see qqspawn.h. vfork, so a busy server pays for no page-table copy, and no
   allocation either (musl's posix_spawn allocates its file actions with its own malloc, whose
   page churn cost qmail-smtpd a few percent of its CPU). */

#define _DEFAULT_SOURCE  /* vfork */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "home.h"
#include "qqspawn.h"

extern char **environ ;

#define CUSTOMMAX 1000

char const *qq_program (stralloc *sa)
{
  char const *qq = home_env_trusted() ? getenv("QMAILQUEUE") : 0 ;
  if (qq && *qq) return qq ;
  sa->len = 0 ;
  if (!stralloc_cats(sa, home_dir()) || !stralloc_cats(sa, "/bin/qmail-queue") || !stralloc_0(sa)) return 0 ;
  return sa->s ;
}

/* fd "from" becomes "to" in the child, without close-on-exec */
static int move (int from, int to)
{
  return from == to ? fcntl(to, F_SETFD, 0) : dup2(from, to) ;
}

/* The child of vfork shares our memory until it execs: it makes system calls only, and no
   signal handler of ours may run in it, so every signal stays blocked until it restores our
   mask just before execve. SIGPIPE is set to its default before vfork (the child inherits
   that) and set back after. An exec that fails leaves its errno in *err, which the parent
   sees because the memory is shared. */
static pid_t start (char const *qq, int const *m, int const *e, int const *x, volatile int *err)
{
  char const *argv[2] = { qq, 0 } ;
  sigset_t all, old ;
  struct sigaction dfl = { .sa_handler = SIG_DFL }, oldpipe ;
  pid_t pid ;
  int r ;
  sigfillset(&all) ;
  sigemptyset(&dfl.sa_mask) ;
  if (sigprocmask(SIG_SETMASK, &all, &old) < 0) return -1 ;
  if (sigaction(SIGPIPE, &dfl, &oldpipe) < 0) { r = errno ; sigprocmask(SIG_SETMASK, &old, 0) ; errno = r ; return -1 ; }
  pid = vfork() ;
  if (!pid)
  {
    if (move(m[0], 0) >= 0 && move(e[0], 1) >= 0 && (!x || move(x[1], 4) >= 0)
     && sigprocmask(SIG_SETMASK, &old, 0) == 0)
      execve(qq, (char *const *)argv, environ) ;
    *err = errno ;
    _exit(127) ;
  }
  r = errno ;
  sigaction(SIGPIPE, &oldpipe, 0) ;
  sigprocmask(SIG_SETMASK, &old, 0) ;
  errno = r ;
  return pid ;
}

pid_t qq_spawn (int *msgfd, int *envfd, int *errfd)
{
  stralloc path = STRALLOC_ZERO ;
  char const *qq = qq_program(&path) ;
  int m[2] = { -1, -1 }, e[2] = { -1, -1 }, x[2] = { -1, -1 }, r ;
  volatile int err = 0 ;
  pid_t pid = -1 ;
  if (!qq) return -1 ;
  if (pipecoe(m) == -1 || pipecoe(e) == -1 || (errfd && pipecoe(x) == -1)) goto fail ;
  pid = start(qq, m, e, errfd ? x : 0, &err) ;
  if (pid < 0) goto fail ;
  if (err)   /* the child could not exec, and has exited */
  {
    int wstat ;
    wait_pid(pid, &wstat) ;
    errno = err ;
    goto fail ;
  }
  close(m[0]) ; close(e[0]) ;
  *msgfd = m[1] ; *envfd = e[1] ;
  if (errfd) { close(x[1]) ; *errfd = x[0] ; }
  stralloc_free(&path) ;
  return pid ;
 fail:
  r = errno ;
  for (int i = 0 ; i < 2 ; i++) { fd_close(m[i]) ; fd_close(e[i]) ; fd_close(x[i]) ; }
  stralloc_free(&path) ;
  errno = r ;
  return -1 ;
}

int qq_wait (pid_t pid, int *sig)
{
  int wstat ;
  *sig = 0 ;
  if (wait_pid(pid, &wstat) != pid) return -1 ;
  if (WIFSIGNALED(wstat)) { *sig = WTERMSIG(wstat) ; return -1 ; }
  return WEXITSTATUS(wstat) ;
}

int qq_customreply (int errfd, stralloc *sa)
{
  char buf[CUSTOMMAX] ;
  size_t n = allread(errfd, buf, sizeof buf) ;
  int perm = n && buf[0] == 'D' ;
  fd_close(errfd) ;
  sa->len = 0 ;
  if (!n || (buf[0] != 'D' && buf[0] != 'Z')) return 0 ;
  for (size_t i = 1 ; i < n && buf[i] != '\n' && buf[i] != '\r' && buf[i] ; i++)
  {
    char c = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?' ;
    if (!stralloc_catb(sa, &c, 1)) { sa->len = 0 ; break ; }
  }
  return perm ;
}
