/* qmail-lspawn: runs one qmail-local per local delivery, as the recipient's user, and reports
   how it went. Started by qmail-start (as root in a real install: it must become the user; it
   never delivers as uid 0). fd 0: jobs "slot\0id\0bodyoff\0sender\0recipient\0" from
   qmail-send; fd 1: results "slot\0" + K/Z/D + qmail-local's output + "\0"; fd 2: log.
   argv: the default delivery, passed to qmail-local. Exits 0 when fd 0 ends and all are done. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/setgroups.h>
#include <skalibs/selfpipe.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "assign.h"
#include "exitcode.h"
#include "home.h"
#include "queue.h"
#include "spawnjob.h"

#define USAGE "qmail-lspawn defaultdelivery"
#define OUTMAX 4000          /* of qmail-local's output, reported to qmail-send */
#define CHILDMAX 65000

typedef spawnchild_t child_t ;

/* In the child: exit with this text as the delivery's report. */
static void childfail (int code, char const *a, char const *b)
{
  strerr_warn(a, b) ;
  _exit(code) ;
}

/* The child: become the user, put the message on fd 0, exec qmail-local. */
static void deliver (char const *const *f, unsigned int split, char const *dflt, char const *home)
{
  assign_t a = ASSIGN_ZERO ;
  stralloc path = STRALLOC_ZERO, bin = STRALLOC_ZERO ;
  char const *recip = f[4], *at ;
  uint64_t id, bodyoff ;
  int fd ;
  size_t atpos = str_rchr(recip, '@') ;
  at = recip[atpos] ? recip + atpos + 1 : "" ;
  if (uint64_scan(f[1], &id) != strlen(f[1]) || uint64_scan(f[2], &bodyoff) != strlen(f[2]) || !*f[1] || !*f[2])
    childfail(QX_BUG, "garbled job", "") ;
  if (!queue_path(&path, "queue/mess", id, split)) childfail(QX_TEMP, "Out of memory. (#4.3.0)", "") ;
  fd = open_read(path.s) ;
  if (fd < 0 || lseek(fd, bodyoff, SEEK_SET) < 0 || fd_move(0, fd) < 0) childfail(QX_TEMP, "Unable to open the message in the queue. (#4.3.0)", "") ;
  {
    stralloc local = STRALLOC_ZERO ;
    int r ;
    if (!stralloc_catb(&local, recip, atpos) || !stralloc_0(&local)) childfail(QX_TEMP, "Out of memory. (#4.3.0)", "") ;
    case_lowerb(local.s, local.len) ;
    r = assign_lookup(&a, local.s) ;
    if (r < 0) childfail(QX_TEMP, "Unable to look up the recipient's user. (#4.3.0)", "") ;
    if (!r) childfail(QX_PERM, "Sorry, no mailbox here by that name. (#5.1.1)", "") ;
    stralloc_free(&local) ;
  }
  if (!a.uid) childfail(QX_TEMP, "Refusing to deliver as uid 0 for ", assign_user(&a)) ;
  /* A single-user instance delivers only as itself: system accounts and the alias account
     of anyone else are no mailbox of its. A users/assign entry for another uid is a mistake
     in the instance's set-up, so that one stays a temporary failure (below). */
  if (geteuid() && a.uid != geteuid() && (a.source == ASSIGN_PASSWD || a.source == ASSIGN_CATCHALL))
    childfail(QX_PERM, "Sorry, no mailbox here by that name. (#5.1.1)", "") ;
  if (!geteuid())
  {
    gid_t g = a.gid ;
    if (skalibs_setgroups(1, &g) < 0 || setgid(a.gid) < 0 || setuid(a.uid) < 0) childfail(QX_TEMP, "Unable to switch to the user's uid. (#4.3.0)", "") ;
  }
  if (getuid() != a.uid || geteuid() != a.uid || getegid() != a.gid)
    childfail(QX_TEMP, "This single-user instance cannot deliver as another user: ", assign_user(&a)) ;
  if (!stralloc_cats(&bin, home) || !stralloc_cats(&bin, "/bin/qmail-local") || !stralloc_0(&bin)) childfail(QX_TEMP, "Out of memory. (#4.3.0)", "") ;
  {
    stralloc local = STRALLOC_ZERO ;
    if (!stralloc_catb(&local, recip, atpos) || !stralloc_0(&local)) childfail(QX_TEMP, "Out of memory. (#4.3.0)", "") ;
    char const *argv[12] = { "qmail-local", "--", assign_user(&a), assign_home(&a), local.s, assign_dash(&a), assign_ext(&a), at, f[3], dflt, 0 } ;
    execv(bin.s, (char *const *)argv) ;
  }
  childfail(QX_TEMP, "Unable to run qmail-local. (#4.3.0)", "") ;
}

static int spawn (child_t *c, char const *const *f, unsigned int split, char const *dflt, char const *home)
{
  int p[2] ;
  if (pipe(p) < 0) return 0 ;
  c->pid = fork() ;
  if (c->pid < 0) { close(p[0]) ; close(p[1]) ; c->pid = 0 ; return 0 ; }
  if (!c->pid)
  {
    close(p[0]) ;
    if (fd_move(1, p[1]) < 0 || fd_copy(2, 1) < 0) _exit(QX_TEMP) ;
    selfpipe_finish() ;
    deliver(f, split, dflt, home) ;
  }
  close(p[1]) ;
  c->fd = p[0] ;
  ndelay_on(c->fd) ;
  coe(c->fd) ;
  c->exited = 0 ;
  c->out.len = 0 ;
  return 1 ;
}

static void report (child_t *c, void *ctx)
{
  (void)ctx ;
  char slot[UINT_FMT] ;
  char code = 'Z' ;
  stralloc sa = STRALLOC_ZERO ;
  if (WIFEXITED(c->wstat)) code = WEXITSTATUS(c->wstat) == 0 ? 'K' : WEXITSTATUS(c->wstat) == QX_PERM ? 'D' : 'Z' ;
  if (!WIFEXITED(c->wstat) && !stralloc_cats(&c->out, "qmail-local crashed. (#4.3.0)")) strerr_diefusys(QX_TEMP, "allocate memory") ;
  for (size_t i = 0 ; i < c->out.len ; i++) if (!c->out.s[i]) c->out.s[i] = '_' ;  /* the record ends at NUL */
  if (!stralloc_catb(&sa, slot, uint_fmt(slot, c->slot)) || !stralloc_0(&sa) || !stralloc_catb(&sa, &code, 1)
   || !stralloc_cat(&sa, &c->out) || !stralloc_0(&sa)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  if (allwrite(1, sa.s, sa.len) < sa.len) strerr_diefusys(QX_TEMP, "write to qmail-send") ;
  stralloc_free(&sa) ;
  c->pid = 0 ;
}

typedef struct lspawn_s { unsigned int split ; char const *dflt, *home ; } lspawn_t ;

static void start (child_t *c, char const *const *f, void *ctx)
{
  lspawn_t const *l = ctx ;
  if (spawn(c, f, l->split, l->dflt, l->home)) return ;
  c->out.len = 0 ;
  stralloc_cats(&c->out, "Unable to fork. (#4.3.0)") ;
  c->wstat = QX_TEMP << 8 ;
  report(c, 0) ;
}

int main (int argc, char const *const *argv)
{
  static child_t kids[CHILDMAX] ;
  lspawn_t l = { .split = 0, .dflt = 0, .home = home_dir() } ;
  PROG = "qmail-lspawn" ;
  if (argc != 2) strerr_dieusage(QX_PERM, USAGE) ;
  l.dflt = argv[1] ;
  if (chdir(l.home) < 0) strerr_diefusys(QX_TEMP, "chdir to ", l.home) ;
  if (chdir("queue") < 0 || !queue_split(&l.split) || chdir("..") < 0) strerr_diefusys(QX_TEMP, "read queue/split") ;
  spawnjob_loop(kids, CHILDMAX, OUTMAX, &start, &report, &l) ;
  return 0 ;
}
