/* qmail-qctl: the queue's control tool (doc/QUEUE.md, "Queue control"): list, show, delete,
   hold, release, flush. If qmail-send runs (a reader on lock/ctl) it writes one command line
   per message there ("d ID", "h ID", "r ID", "f ID", "f") and watches the file up to 10 seconds
   for the effect; if nobody runs it makes the change itself. One line per message on fd 1.
   Exit 0; 100 usage, malformed or unknown id; 111 an effect not seen in time, flush without
   qmail-send, a damaged file or a system error (111 wins over 100). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "exitcode.h"
#include "queuescan.h"

#define USAGE "qmail-qctl list | show id | delete id... | hold id... | release id... | flush [ id... ]"
#define WAITSECS 10     /* for qmail-send to carry out a command */
#define POLLMS 50
#define MANY ((unsigned int)-1)

typedef struct ctx_s ctx_t ;
struct ctx_s
{
  unsigned int split ;
  int ctl ;             /* lock/ctl, or -1: qmail-send is not running */
  int rc ;              /* the exit code so far */
  queuemsg_t m ;
  stralloc path ;
} ;
#define CTX_ZERO { .ctl = -1, .rc = QX_OK, .m = QUEUEMSG_ZERO, .path = STRALLOC_ZERO }

typedef struct command_s command_t ;
struct command_s
{
  char const *name ;
  int (*run) (ctx_t *, command_t const *, char const *const *, unsigned int) ;
  unsigned int minargs, maxargs ;
  char letter ;         /* on lock/ctl */
  char const *done ;    /* what the report line says once it took effect */
  int needheader ;      /* the id must name a readable message, not merely a file */
  int (*direct) (ctx_t *, uint64_t) ;   /* without qmail-send: 1 done, 0 failed (warned); 0 pointer: refused */
  int (*effect) (ctx_t *, uint64_t) ;   /* with qmail-send: 1 seen, 0 not yet, -1 never will; 0 pointer: no wait */
} ;

static void fail (ctx_t *c, int code)
{
  if (c->rc < code) c->rc = code ;
}

static void report (uint64_t id, char const *what)
{
  char fmt[UINT64_FMT] ;
  size_t n = id ? uint64_fmt(fmt, id) : 0 ;
  if ((n && (buffer_put(buffer_1, fmt, n) < 0 || buffer_puts(buffer_1, ": ") < 0))
   || buffer_puts(buffer_1, what) < 0 || !buffer_putflush(buffer_1, "\n", 1))
    strerr_diefusys(QX_TEMP, "write to stdout") ;
}

static void nomem (void)
{
  strerr_diefusys(QX_TEMP, "allocate memory") ;
}

/* The directory of c->path, fsynced: an unlink is durable only once its directory is. */
static int syncdir (ctx_t *c)
{
  char *slash = strrchr(c->path.s, '/') ;
  int fd, ok ;
  *slash = 0 ;
  fd = open2(c->path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  ok = fd >= 0 && fsync(fd) == 0 ;
  if (!ok) strerr_warnwusys("sync ", c->path.s) ;
  fd_close(fd) ;
  *slash = '/' ;
  return ok ;
}

/* 1 if dir/S/ID exists, 0 if not, -1 on error (warned). */
static int exists (ctx_t *c, char const *dir, uint64_t id)
{
  struct stat st ;
  if (!queue_path(&c->path, dir, id, c->split)) nomem() ;
  if (lstat(c->path.s, &st) == 0) return 1 ;
  if (errno == ENOENT) return 0 ;
  strerr_warnwusys("stat ", c->path.s) ;
  return -1 ;
}

/* todo/ before mess/, the way files move: a move between the two looks cannot hide one */
static int present (ctx_t *c, uint64_t id)
{
  int r = exists(c, "todo", id) ;
  return r ? r : exists(c, "mess", id) ;
}

/* 1 removed, 0 absent, -1 failed (warned) */
static int removefile (ctx_t *c, char const *dir, uint64_t id)
{
  if (!queue_path(&c->path, dir, id, c->split)) nomem() ;
  if (unlink(c->path.s) < 0)
  {
    if (errno == ENOENT) return 0 ;
    strerr_warnwusys("remove ", c->path.s) ;
    return -1 ;
  }
  return syncdir(c) ? 1 : -1 ;
}

/* The message first: once it is gone nothing can bounce it; then its failure texts. */
static int direct_delete (ctx_t *c, uint64_t id)
{
  int r = removefile(c, "todo", id) ;
  if (!r) r = removefile(c, "mess", id) ;
  if (!r) { errno = ENOENT ; strerr_warnwusys("remove ", c->path.s) ; }
  if (r > 0 && removefile(c, "bounce", id) >= 0) return 1 ;
  fail(c, QX_TEMP) ;
  return 0 ;
}

static int settimes (ctx_t *c, uint64_t id, uint64_t t)
{
  int ok = queuemsg_open(&c->m, id, c->split, 1) && c->m.h.nextlocaloff && c->m.h.nextremoteoff ;
  if (!ok)
  {
    if (c->m.fd >= 0) errno = EINVAL ;   /* no next-try fields */
    queuemsg_warn(&c->m) ;
  }
  else if (!queuehdr_settime(c->m.fd, c->m.h.nextlocaloff, t) || !queuehdr_settime(c->m.fd, c->m.h.nextremoteoff, t))
  {
    strerr_warnwusys("write ", c->m.path.s) ;
    ok = 0 ;
  }
  queuemsg_close(&c->m) ;
  if (!ok) fail(c, QX_TEMP) ;
  return ok ;
}

static int direct_hold (ctx_t *c, uint64_t id)
{
  return settimes(c, id, QUEUE_HELD) ;
}

static int direct_release (ctx_t *c, uint64_t id)
{
  return settimes(c, id, time(0)) ;
}

static int effect_delete (ctx_t *c, uint64_t id)
{
  return present(c, id) == 0 ;
}

static int effect_held (ctx_t *c, uint64_t id, int want)
{
  if (!queuemsg_open(&c->m, id, c->split, 0)) return errno == ENOENT ? -1 : 0 ;
  queuemsg_close(&c->m) ;
  return queuemsg_held(&c->m) == want ;
}

static int effect_hold (ctx_t *c, uint64_t id)
{
  return effect_held(c, id, 1) ;
}

/* A released message may be delivered and gone before we look again: that is success. */
static int effect_release (ctx_t *c, uint64_t id)
{
  int r = effect_held(c, id, 0) ;
  return r < 0 ? 1 : r ;
}

/* The id of arg if it names a message; otherwise warned, the exit code set, and 0. */
static int lookup (ctx_t *c, command_t const *cmd, char const *arg, uint64_t *id)
{
  int r ;
  if (!queuescan_id(arg, id)) { strerr_warnw("malformed message id: ", arg) ; fail(c, QX_PERM) ; return 0 ; }
  if (cmd->needheader)
  {
    r = queuemsg_open(&c->m, *id, c->split, 0) ;
    queuemsg_close(&c->m) ;
    if (r) return 1 ;
    if (errno != ENOENT) { queuemsg_warn(&c->m) ; fail(c, QX_TEMP) ; return 0 ; }
  }
  else
  {
    r = present(c, *id) ;
    if (r > 0) return 1 ;
    if (r < 0) { fail(c, QX_TEMP) ; return 0 ; }
  }
  strerr_warnw("no message ", arg, " in the queue") ;
  fail(c, QX_PERM) ;
  return 0 ;
}

/* One command line; under PIPE_BUF, so the write is whole or nothing. */
static void ctl_send (ctx_t *c, char letter, uint64_t id)
{
  char line[3 + UINT64_FMT] ;
  size_t n = 0 ;
  line[n++] = letter ;
  if (id) { line[n++] = ' ' ; n += uint64_fmt(line + n, id) ; }
  line[n++] = '\n' ;
  for (unsigned int tries = 0 ; ; tries++)
  {
    ssize_t r = write(c->ctl, line, n) ;
    if (r == (ssize_t)n) return ;
    if (r < 0 && errno == EINTR) continue ;
    if (r >= 0 || errno != EAGAIN) strerr_diefusys(QX_TEMP, "write to lock/ctl") ;
    if (tries >= WAITSECS * 1000 / POLLMS) strerr_dief(QX_TEMP, "lock/ctl stays full: qmail-send is not reading it") ;
    {
      tain step, wake ;
      tain_now_g() ;
      tain_from_millisecs(&step, POLLMS) ;
      tain_add_g(&wake, &step) ;
      deepsleepuntil_g(&wake) ;
    }
  }
}

/* -1: nobody reads lock/ctl (ENXIO), so qmail-send is not running. */
static int ctl_open (void)
{
  struct stat st ;
  int fd = open2("lock/ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW) ;
  if (fd < 0)
  {
    if (errno == ENXIO) return -1 ;
    strerr_diefusys(QX_TEMP, "open lock/ctl") ;
  }
  if (fstat(fd, &st) < 0) strerr_diefusys(QX_TEMP, "stat lock/ctl") ;
  if (!S_ISFIFO(st.st_mode)) strerr_dief(QX_TEMP, "lock/ctl is not a FIFO") ;
  return fd ;
}

/* Poll until each message shows the command's effect, or the time is up. */
static void await (ctx_t *c, command_t const *cmd, uint64_t *ids, size_t n)
{
  char fmt[UINT64_FMT] ;
  tain deadline, wake, step ;
  tain_now_g() ;
  tain_addsec_g(&deadline, WAITSECS) ;
  tain_from_millisecs(&step, POLLMS) ;
  for (;;)
  {
    size_t left = 0 ;
    for (size_t i = 0 ; i < n ; i++)
    {
      int r = cmd->effect(c, ids[i]) ;
      fmt[uint64_fmt(fmt, ids[i])] = 0 ;
      if (r > 0) report(ids[i], cmd->done) ;
      else if (r < 0) { strerr_warnw("msg ", fmt, " left the queue before it was ", cmd->done) ; fail(c, QX_PERM) ; }
      else ids[left++] = ids[i] ;
    }
    n = left ;
    if (!n) return ;
    tain_now_g() ;
    if (!tain_future(&deadline)) break ;
    tain_add_g(&wake, &step) ;
    deepsleepuntil_g(tain_less(&wake, &deadline) ? &wake : &deadline) ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    fmt[uint64_fmt(fmt, ids[i])] = 0 ;
    strerr_warnw("qmail-send has not ", cmd->done, " msg ", fmt, " after 10 seconds") ;
  }
  fail(c, QX_TEMP) ;
}

static int run_control (ctx_t *c, command_t const *cmd, char const *const *args, unsigned int n)
{
  uint64_t *ids = malloc((n + 1) * sizeof *ids) ;
  size_t k = 0 ;
  if (!ids) nomem() ;
  c->ctl = ctl_open() ;
  if (c->ctl < 0 && !cmd->direct) strerr_dief(QX_TEMP, "qmail-send is not running") ;
  if (c->ctl >= 0 && !n && cmd->letter == 'f') { ctl_send(c, 'f', 0) ; report(0, cmd->done) ; }
  for (unsigned int i = 0 ; i < n ; i++)
  {
    uint64_t id ;
    if (!lookup(c, cmd, args[i], &id)) continue ;
    if (c->ctl < 0) { if (cmd->direct(c, id)) report(id, cmd->done) ; continue ; }
    ctl_send(c, cmd->letter, id) ;
    if (cmd->effect) ids[k++] = id ;
    else report(id, cmd->done) ;
  }
  if (k) await(c, cmd, ids, k) ;
  free(ids) ;
  if (c->ctl >= 0) fd_close(c->ctl) ;
  queuemsg_free(&c->m) ;
  stralloc_free(&c->path) ;
  return c->rc ;
}

static int run_list (ctx_t *c, command_t const *cmd, char const *const *args, unsigned int n)
{
  (void)cmd ; (void)args ; (void)n ;
  return queuescan_list(c->split) ;
}

static int run_show (ctx_t *c, command_t const *cmd, char const *const *args, unsigned int n)
{
  (void)cmd ; (void)n ;
  return queuescan_show(args[0], c->split, QUEUESHOW_INFO | QUEUESHOW_BODY) ;
}

/* name, run, min/max ids, letter on lock/ctl, report, needheader, direct, effect */
static command_t const commands[] =
{
  { "list", &run_list, 0, 0, 0, 0, 0, 0, 0 },
  { "show", &run_show, 1, 1, 0, 0, 0, 0, 0 },
  { "delete", &run_control, 1, MANY, 'd', "deleted", 0, &direct_delete, &effect_delete },
  { "hold", &run_control, 1, MANY, 'h', "held", 1, &direct_hold, &effect_hold },
  { "release", &run_control, 1, MANY, 'r', "released", 1, &direct_release, &effect_release },
  { "flush", &run_control, 0, MANY, 'f', "flush requested", 0, 0, 0 },
} ;

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  ctx_t c = CTX_ZERO ;
  command_t const *cmd = 0 ;
  unsigned int n ;
  PROG = "qmail-qctl" ;
  if (subgetopt_r(argc, argv, "", &l) != -1 || l.ind >= argc) strerr_dieusage(QX_PERM, USAGE) ;
  argv += l.ind ;
  n = argc - l.ind - 1 ;
  for (size_t i = 0 ; i < sizeof commands / sizeof *commands ; i++)
    if (!strcmp(argv[0], commands[i].name)) cmd = commands + i ;
  if (!cmd || n < cmd->minargs || n > cmd->maxargs) strerr_dieusage(QX_PERM, USAGE) ;
  sig_ignore(SIGPIPE) ;
  queuescan_chdir(&c.split) ;
  return cmd->run(&c, cmd, argv + 1, n) ;
}
