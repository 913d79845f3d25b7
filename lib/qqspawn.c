/* qqspawn.c: see qqspawn.h. posix_spawn, so a busy server pays for no page-table copy. */

#include <errno.h>
#include <signal.h>
#include <spawn.h>
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

pid_t qq_spawn (int *msgfd, int *envfd, int *errfd)
{
  stralloc path = STRALLOC_ZERO ;
  char const *qq = qq_program(&path) ;
  posix_spawn_file_actions_t fa ;
  posix_spawnattr_t attr ;
  sigset_t def ;
  int m[2] = { -1, -1 }, e[2] = { -1, -1 }, x[2] = { -1, -1 }, r = 0 ;
  pid_t pid = -1 ;
  if (!qq) return -1 ;
  if (pipecoe(m) == -1 || pipecoe(e) == -1 || (errfd && pipecoe(x) == -1)) goto fail ;
  sigemptyset(&def) ;
  sigaddset(&def, SIGPIPE) ;
  if ((r = posix_spawn_file_actions_init(&fa))) goto fail ;
  if ((r = posix_spawnattr_init(&attr))) { posix_spawn_file_actions_destroy(&fa) ; goto fail ; }
  if (!(r = posix_spawn_file_actions_adddup2(&fa, m[0], 0))
   && !(r = posix_spawn_file_actions_adddup2(&fa, e[0], 1))
   && !(r = errfd ? posix_spawn_file_actions_adddup2(&fa, x[1], 4) : 0)
   && !(r = posix_spawnattr_setsigdefault(&attr, &def))
   && !(r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF)))
    r = posix_spawn(&pid, qq, &fa, &attr, (char *const[]){ (char *)qq, 0 }, environ) ;
  posix_spawn_file_actions_destroy(&fa) ;
  posix_spawnattr_destroy(&attr) ;
  if (r) goto fail ;
  close(m[0]) ; close(e[0]) ;
  *msgfd = m[1] ; *envfd = e[1] ;
  if (errfd) { close(x[1]) ; *errfd = x[0] ; }
  stralloc_free(&path) ;
  return pid ;
 fail:
  if (r) errno = r ;
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
