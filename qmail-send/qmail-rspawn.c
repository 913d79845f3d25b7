/* qmail-rspawn: runs one qmail-remote (or $QMAILREMOTE) per remote delivery, as many at once
   as qmail-send asks, and reports how each went. Started by qmail-start as qmailr.
   fd 0: jobs "slot\0id\0bodyoff\0sender\0recipient\0" from qmail-send; fd 1: results
   "slot\0" + K/Z/D + text + "\0"; fd 2: log, also qmail-remote's. qmail-remote gets
   "host sender recipient" (host: the recipient's domain) with fd 0 on the message body.
   Exits 0 when fd 0 ends and every delivery has been reported. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "exitcode.h"
#include "home.h"
#include "queue.h"
#include "spawnjob.h"

#define USAGE "qmail-rspawn"
#define OUTMAX 10000         /* of qmail-remote's report */
#define CHILDMAX 65000

extern char **environ ;

typedef spawnchild_t child_t ;

typedef struct spawner_s spawner_t ;
struct spawner_s
{
  unsigned int split ;
  char const *remote ;   /* the program to run */
  stralloc path, res ;
} ;

static void nomem (void)
{
  strerr_diefusys(QX_TEMP, "allocate memory") ;
}

static void result (child_t *c, spawner_t *s, char code, char const *text, size_t len)
{
  char slot[UINT_FMT] ;
  s->res.len = 0 ;
  if (!stralloc_catb(&s->res, slot, uint_fmt(slot, c->slot)) || !stralloc_0(&s->res) || !stralloc_catb(&s->res, &code, 1)
   || !stralloc_catb(&s->res, text, len) || !stralloc_0(&s->res)) nomem() ;
  if (allwrite(1, s->res.s, s->res.len) < s->res.len) strerr_diefusys(QX_TEMP, "write to qmail-send") ;
  c->pid = 0 ;
}

/* qmail-remote's records: the recipient's r/h/s decides when it is h or s, else the
   message's K/Z/D does. */
static void report (child_t *c, void *ctx)
{
  spawner_t *s = ctx ;
  char const *rt = 0, *mt = 0 ;
  char rl = 0, ml = 0 ;
  size_t pos = 0 ;
  while (pos < c->out.len)
  {
    size_t n = byte_chr(c->out.s + pos, c->out.len - pos, 0) ;
    char l = c->out.s[pos] ;
    if (pos + n == c->out.len) break ;   /* an unterminated record is no record */
    if (!rl && (l == 'r' || l == 'h' || l == 's')) { rl = l ; rt = c->out.s + pos + 1 ; }
    else if (l == 'K' || l == 'Z' || l == 'D') { ml = l ; mt = c->out.s + pos + 1 ; }
    pos += n + 1 ;
  }
  if (!WIFEXITED(c->wstat)) { result(c, s, 'Z', "qmail-remote crashed. (#4.3.0)", 30) ; return ; }
  if (WEXITSTATUS(c->wstat) || !ml) { result(c, s, 'Z', "Unable to run qmail-remote. (#4.3.0)", 36) ; return ; }
  if (rl == 'h') result(c, s, 'D', rt, strlen(rt)) ;
  else if (rl == 's') result(c, s, 'Z', rt, strlen(rt)) ;
  else if (ml == 'K' && rl != 'r') result(c, s, 'Z', "qmail-remote reported success without a recipient. (#4.3.0)", 58) ;
  else result(c, s, ml, mt, strlen(mt)) ;
}

/* posix_spawn (a vfork underneath): cheaper than fork for each of many deliveries. */
static int spawn (child_t *c, spawner_t *s, char const *const *f)
{
  posix_spawn_file_actions_t fa ;
  posix_spawnattr_t attr ;
  sigset_t none ;
  char const *recip = f[4] ;
  size_t at = str_rchr(recip, '@') ;
  char const *argv[5] = { "qmail-remote", recip[at] ? recip + at + 1 : "", f[3], recip, 0 } ;
  uint64_t id, bodyoff ;
  int p[2], fd, e ;
  pid_t pid ;
  if (!*f[1] || !*f[2] || uint64_scan(f[1], &id) != strlen(f[1]) || uint64_scan(f[2], &bodyoff) != strlen(f[2]))
    strerr_dief(QX_BUG, "garbled job from qmail-send") ;
  if (!queue_path(&s->path, "queue/mess", id, s->split)) nomem() ;
  fd = open2(s->path.s, O_RDONLY | O_CLOEXEC) ;
  if (fd < 0) return 'm' ;
  if (lseek(fd, bodyoff, SEEK_SET) < 0 || pipe(p) < 0) { fd_close(fd) ; return 'm' ; }
  if (coe(p[0]) < 0 || coe(p[1]) < 0 || posix_spawn_file_actions_init(&fa)) { fd_close(fd) ; fd_close(p[0]) ; fd_close(p[1]) ; return 'f' ; }
  if (posix_spawnattr_init(&attr)) { posix_spawn_file_actions_destroy(&fa) ; fd_close(fd) ; fd_close(p[0]) ; fd_close(p[1]) ; return 'f' ; }
  /* the selfpipe blocks SIGCHLD here: qmail-remote starts with no signal blocked */
  sigemptyset(&none) ;
  e = posix_spawnattr_setsigmask(&attr, &none) || posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK)
   || posix_spawn_file_actions_adddup2(&fa, fd, 0) || posix_spawn_file_actions_adddup2(&fa, p[1], 1)
   || posix_spawn(&pid, s->remote, &fa, &attr, (char *const *)argv, environ) ;
  posix_spawn_file_actions_destroy(&fa) ;
  posix_spawnattr_destroy(&attr) ;
  fd_close(fd) ;
  fd_close(p[1]) ;
  if (e) { fd_close(p[0]) ; return 'f' ; }
  c->pid = pid ;
  c->fd = p[0] ;
  ndelay_on(c->fd) ;
  c->exited = 0 ;
  c->out.len = 0 ;
  return 0 ;
}

static void start (child_t *c, char const *const *f, void *ctx)
{
  spawner_t *s = ctx ;
  int e = spawn(c, s, f) ;
  if (e == 'm') result(c, s, 'Z', "Unable to open the message in the queue. (#4.3.0)", 49) ;
  else if (e) result(c, s, 'Z', "Unable to run qmail-remote. (#4.3.0)", 36) ;
}

static void setup (spawner_t *s)
{
  char const *home = home_dir() ;
  char const *x = home_env_trusted() ? getenv("QMAILREMOTE") : 0 ;
  if (chdir(home) < 0) strerr_diefusys(QX_TEMP, "chdir to ", home) ;
  if (chdir("queue") < 0 || !queue_split(&s->split) || chdir("..") < 0) strerr_diefusys(QX_TEMP, "read queue/split") ;
  if (x && *x) { s->remote = x ; return ; }
  if (!stralloc_cats(&s->path, home) || !stralloc_cats(&s->path, "/bin/qmail-remote") || !stralloc_0(&s->path)) nomem() ;
  s->remote = strdup(s->path.s) ;
  if (!s->remote) nomem() ;
}

int main (int argc, char const *const *argv)
{
  static child_t kids[CHILDMAX] ;
  spawner_t s = { .split = 0, .remote = 0, .path = STRALLOC_ZERO, .res = STRALLOC_ZERO } ;
  PROG = "qmail-rspawn" ;
  (void)argv ;
  if (argc != 1) strerr_dieusage(QX_PERM, USAGE) ;
  setup(&s) ;
  spawnjob_loop(kids, CHILDMAX, OUTMAX, &start, &report, &s) ;
  return 0 ;
}
