/* qmail-start: starts the delivery system. Creates the pipes, starts qmail-lspawn (root),
   qmail-rspawn (qmailr, when installed), two qmail-clean (qmailq), qmail-todo (qmails) and an
   optional logger (qmaill), then becomes qmail-send (qmails). Run by an ordinary user, every
   program runs as that user: a single-user instance. Uids are looked up at run time.
   Usage: qmail-start defaultdelivery [logger args...]. Exit 111 if anything cannot start. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/setgroups.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include "exitcode.h"
#include "home.h"

#define USAGE "qmail-start defaultdelivery [logger args...]"
#define FDMAX 11      /* the children's fds are 0..10 */
#define FDHIGH 64     /* where fds wait while they are moved into place */

/* Drop to account name (root only). In a single-user instance, stay who we are. */
static void become (char const *name)
{
  struct passwd *pw ;
  gid_t g ;
  if (geteuid()) return ;
  pw = getpwnam(name) ;
  if (!pw) strerr_dief(QX_TEMP, "no account ", name, ": create the qmail users (see INSTALL)") ;
  g = pw->pw_gid ;
  if (skalibs_setgroups(1, &g) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) strerr_diefusys(QX_TEMP, "become ", name) ;
  if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid) strerr_dief(QX_TEMP, "still not ", name) ;
}

/* Make want[i] the fd i for i < FDMAX (-1: leave 0..2 alone, close 3..), close the rest. */
static void arrange (int const *want)
{
  int moved[FDMAX] ;
  for (int i = 0 ; i < FDMAX ; i++)
  {
    moved[i] = -1 ;
    if (want[i] >= 0 && (moved[i] = fcntl(want[i], F_DUPFD, FDHIGH)) < 0) strerr_diefusys(QX_TEMP, "dup") ;
  }
  {
    /* every inherited descriptor goes, not only the low ones: children get exactly fds 0..10 */
    struct rlimit rl ;
    int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536 ;
    for (int i = 0 ; i < max ; i++)
    {
      int keep = 0 ;
      for (int j = 0 ; j < FDMAX ; j++) keep |= moved[j] == i ;
      if (!keep && (i > 2 || moved[i] >= 0)) close(i) ;
    }
  }
  for (int i = 0 ; i < FDMAX ; i++)
    if (moved[i] >= 0 && (dup2(moved[i], i) < 0 || close(moved[i]) < 0)) strerr_diefusys(QX_TEMP, "dup2") ;
}

static void prog (stralloc *sa, char const *name)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, home_dir()) || !stralloc_cats(sa, "/bin/") || !stralloc_cats(sa, name) || !stralloc_0(sa))
    strerr_diefusys(QX_TEMP, "allocate memory") ;
}

/* The signals qmail-send handles: blocked from here on, so that one sent before qmail-send
   has set up its handlers waits for it instead of killing it (a mask survives exec). */
static void blocksignals (int how)
{
  sigset_t set ;
  sigemptyset(&set) ;
  sigaddset(&set, SIGALRM) ; sigaddset(&set, SIGHUP) ; sigaddset(&set, SIGTERM) ;
  sigprocmask(how, &set, 0) ;
}

static void run (int const *want, char const *account, char const *name, char const *arg)
{
  stralloc path = STRALLOC_ZERO ;
  char const *argv[3] = { name, arg, 0 } ;
  pid_t pid = fork() ;
  if (pid < 0) strerr_diefusys(QX_TEMP, "fork for ", name) ;
  if (pid) return ;
  blocksignals(SIG_UNBLOCK) ;
  PROG = name ;
  arrange(want) ;
  if (account) become(account) ;
  prog(&path, name) ;
  execv(path.s, (char *const *)argv) ;
  strerr_dieexec(QX_TEMP, path.s) ;
}

static void mkpipe (int *p)
{
  if (pipe(p) < 0) strerr_diefusys(QX_TEMP, "create a pipe") ;
}

int main (int argc, char const *const *argv)
{
  /* [0] read end, [1] write end */
  int lj[2], lr[2], rj[2], rr[2], c1q[2], c1a[2], c2q[2], c2a[2], tc[2], ta[2], logp[2] = { -1, -1 } ;
  int haverspawn ;
  stralloc path = STRALLOC_ZERO ;
  PROG = "qmail-start" ;
  if (argc < 2 || !*argv[1]) strerr_dieusage(QX_PERM, USAGE) ;
  blocksignals(SIG_BLOCK) ;
  home_chdir() ;
  prog(&path, "qmail-rspawn") ;
  haverspawn = access(path.s, X_OK) == 0 ;
  mkpipe(lj) ; mkpipe(lr) ; mkpipe(rj) ; mkpipe(rr) ; mkpipe(c1q) ; mkpipe(c1a) ; mkpipe(c2q) ; mkpipe(c2a) ; mkpipe(tc) ; mkpipe(ta) ;
  if (argc > 2)
  {
    pid_t pid ;
    mkpipe(logp) ;
    pid = fork() ;
    if (pid < 0) strerr_diefusys(QX_TEMP, "fork for the logger") ;
    if (!pid)
    {
      int want[FDMAX] = { logp[0], -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 } ;
      blocksignals(SIG_UNBLOCK) ;
      arrange(want) ;
      become("qmaill") ;
      execvp(argv[2], (char *const *)argv + 2) ;
      strerr_dieexec(QX_TEMP, argv[2]) ;
    }
  }
  {
    int out = logp[1] >= 0 ? logp[1] : 1 ;
    int lspawn[FDMAX] = { lj[0], lr[1], out, -1, -1, -1, -1, -1, -1, -1, -1 } ;
    int rspawn[FDMAX] = { rj[0], rr[1], out, -1, -1, -1, -1, -1, -1, -1, -1 } ;
    int clean1[FDMAX] = { c1q[0], c1a[1], out, -1, -1, -1, -1, -1, -1, -1, -1 } ;
    int clean2[FDMAX] = { c2q[0], c2a[1], out, -1, -1, -1, -1, -1, -1, -1, -1 } ;
    int todo[FDMAX] = { tc[0], out, out, ta[1], c2q[1], c2a[0], -1, -1, -1, -1, -1 } ;
    int send[FDMAX] = { -1, out, out, lj[1], lr[0], haverspawn ? rj[1] : -1, haverspawn ? rr[0] : -1, c1q[1], c1a[0], tc[1], ta[0] } ;
    run(lspawn, 0, "qmail-lspawn", argv[1]) ;
    if (haverspawn) run(rspawn, "qmailr", "qmail-rspawn", 0) ;
    run(clean1, "qmailq", "qmail-clean", 0) ;
    run(clean2, "qmailq", "qmail-clean", 0) ;
    run(todo, "qmails", "qmail-todo", 0) ;
    arrange(send) ;
  }
  become("qmails") ;
  prog(&path, "qmail-send") ;
  {
    char const *sargv[2] = { "qmail-send", 0 } ;
    execv(path.s, (char *const *)sargv) ;
  }
  strerr_dieexec(QX_TEMP, path.s) ;
}
