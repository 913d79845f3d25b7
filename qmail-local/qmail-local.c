/* qmail-local: deliver one message to a user by the instructions of dot-qmail(5).
   fd 0: the message, a seekable file, reread from its starting offset for each delivery. fd 1: after
   success "did F+W+P" (mailbox, forward, program deliveries) and "qp PID" if it forwarded;
   fd 2: diagnostics, the last line saying why. .qmail programs inherit fds 1 and 2.
   Exit 0 delivered, 100 permanent failure (bounce), 111 temporary failure (try again). */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "maildirname.h"
#include "qmail-local-core.h"

#define USAGE "qmail-local [ -nN ] user homedir local dash ext domain sender defaultdelivery"
#define LOCKWAIT 30       /* seconds an mbox lock may be held by others before we defer */
#define LOCKPOLL 100      /* milliseconds between two tries */
#define MBOXREOPEN 10     /* how often the mbox may be replaced under us before we defer */

typedef struct ql_s ql_t ;
struct ql_s
{
  char const *user, *home, *local, *dash, *ext, *domain, *sender, *dd ;
  int doit ;
  int forwardonly ;       /* the .qmail has its x bit set: forwards only */
  stralloc safeext, qmail, cmds, recip, dtline, rpline, ufline, newsender, fwd ;
  size_t nfwd ;
  unsigned long long msgsize ;
  off_t base ;            /* where the message starts in fd 0: qmail-lspawn gives the queue file */
  unsigned int nfile, nprog ;
} ;
#define QL_ZERO { .doit = 1, .safeext = STRALLOC_ZERO, .qmail = STRALLOC_ZERO, .cmds = STRALLOC_ZERO, \
  .recip = STRALLOC_ZERO, .dtline = STRALLOC_ZERO, .rpline = STRALLOC_ZERO, .ufline = STRALLOC_ZERO, \
  .newsender = STRALLOC_ZERO, .fwd = STRALLOC_ZERO }

static void nomem (void)
{
  strerr_dief(111, "out of memory (#4.3.0)") ;
}

static int options (int argc, char const *const *argv, ql_t *q)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "nN", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'n': q->doit = 0 ; break ;
      case 'N': q->doit = 1 ; break ;
      default: strerr_dieusage(100, USAGE) ;
    }
  }
  return l.ind ;
}

static void check_home (void)
{
  struct stat st ;
  if (stat(".", &st) < 0) strerr_diefusys(111, "stat home directory") ;
  if (st.st_mode & 022) strerr_dief(111, "Uh-oh: home directory is writable. (#4.7.0)") ;
  if (st.st_mode & S_ISVTX) strerr_dief(111, "Home directory is sticky: user is editing his .qmail file. (#4.2.1)") ;
}

static void make_lines (ql_t *q)
{
  if (!stralloc_copys(&q->recip, q->local) || !stralloc_catb(&q->recip, "@", 1)
   || !stralloc_cats(&q->recip, q->domain) || !stralloc_0(&q->recip)
   || !qlocal_dtline(&q->dtline, q->local, q->domain) || !stralloc_0(&q->dtline)
   || !qlocal_rpline(&q->rpline, q->sender) || !stralloc_0(&q->rpline)
   || !qlocal_safeext(&q->safeext, q->ext)) nomem() ;
  if (!qlocal_ufline(&q->ufline, q->sender, time(0)) || !stralloc_0(&q->ufline)) strerr_diefusys(111, "format the date") ;
  q->dtline.len-- ; q->rpline.len-- ; q->ufline.len-- ;
}

/* Open one candidate .qmail file: its fd, or -1 if it does not exist. */
static int qmail_try (ql_t *q, char const *fn)
{
  struct stat st ;
  int fd = openc_readb(fn) ;
  if (fd < 0)
  {
    if (errno == ENOENT) return -1 ;
    strerr_diefusys(111, "open ", fn) ;
  }
  if (fstat(fd, &st) < 0) strerr_diefusys(111, "stat ", fn) ;
  if (st.st_mode & 022) strerr_dief(111, "Uh-oh: ", fn, " file is writable. (#4.7.0)") ;
  q->forwardonly = !!(st.st_mode & S_IXUSR) ;
  if (!stralloc_copys(&q->qmail, fn) || !stralloc_0(&q->qmail)) nomem() ;
  return fd ;
}

/* .qmail-ext, else the -default files (setting DEFAULT), else defaultdelivery for a user
   without extension; an empty file also means defaultdelivery. */
static void find_qmail (ql_t *q)
{
  stralloc names = STRALLOC_ZERO ;
  int fd ;
  if (!stralloc_copys(&names, ".qmail") || !stralloc_cats(&names, q->dash)
   || !stralloc_cats(&names, q->safeext.s) || !stralloc_0(&names)) nomem() ;
  fd = qmail_try(q, names.s) ;
  unsetenv("DEFAULT") ;
  if (fd < 0 && *q->dash)
  {
    size_t n, pos = 0, len = 0 ;
    names.len = 0 ;
    if (!qlocal_defaultnames(&names, &n, q->dash, q->safeext.s)) nomem() ;
    for (; n-- && fd < 0 ; pos += len + 1)
    {
      len = strlen(names.s + pos) ;
      fd = qmail_try(q, names.s + pos) ;
    }
    if (fd < 0) strerr_dief(100, "Sorry, no mailbox here by that name. (#5.1.1)") ;
    if (setenv("DEFAULT", q->ext + (len - 13 - strlen(q->dash)), 1) < 0) nomem() ;
  }
  stralloc_free(&names) ;
  if (fd >= 0)
  {
    if (!slurp(&q->cmds, fd)) strerr_diefusys(111, "read ", q->qmail.s) ;
    fd_close(fd) ;
  }
  if (!q->cmds.len)
  {
    if (!stralloc_copys(&q->cmds, q->dd)) nomem() ;
    q->forwardonly = 0 ;
  }
  if ((!q->cmds.len || q->cmds.s[q->cmds.len - 1] != '\n') && !stralloc_catb(&q->cmds, "\n", 1)) nomem() ;
}

static int qmail_exists (ql_t *q, char const *suffix)
{
  struct stat st ;
  stralloc fn = STRALLOC_ZERO ;
  int r ;
  if (!stralloc_copys(&fn, ".qmail") || !stralloc_cats(&fn, q->dash) || !stralloc_cats(&fn, q->safeext.s)
   || !stralloc_cats(&fn, suffix) || !stralloc_0(&fn)) nomem() ;
  r = stat(fn.s, &st) == 0 ;
  if (!r && errno != ENOENT) strerr_diefusys(111, "stat ", fn.s) ;
  stralloc_free(&fn) ;
  return r ;
}

static void make_newsender (ql_t *q)
{
  int owner = *q->sender && strcmp(q->sender, "#@[]") && qmail_exists(q, "-owner") ;
  int ownerdefault = owner && qmail_exists(q, "-owner-default") ;
  if (!qlocal_newsender(&q->newsender, q->sender, q->local, q->domain, owner, ownerdefault)) nomem() ;
}

static void set_env (ql_t *q)
{
  static char const *const hosts[3] = { "HOST2", "HOST3", "HOST4" } ;
  static char const *const exts[3] = { "EXT2", "EXT3", "EXT4" } ;
  stralloc sa = STRALLOC_ZERO ;
  if (setenv("SENDER", q->sender, 1) < 0 || setenv("NEWSENDER", q->newsender.s, 1) < 0
   || setenv("RECIPIENT", q->recip.s, 1) < 0 || setenv("USER", q->user, 1) < 0
   || setenv("HOME", q->home, 1) < 0 || setenv("HOST", q->domain, 1) < 0
   || setenv("LOCAL", q->local, 1) < 0 || setenv("EXT", q->ext, 1) < 0
   || setenv("DTLINE", q->dtline.s, 1) < 0 || setenv("RPLINE", q->rpline.s, 1) < 0
   || setenv("UFLINE", q->ufline.s, 1) < 0) nomem() ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    sa.len = 0 ;
    if (!stralloc_catb(&sa, q->domain, qlocal_hostn(q->domain, i + 2)) || !stralloc_0(&sa)
     || setenv(hosts[i], sa.s, 1) < 0 || setenv(exts[i], qlocal_extn(q->ext, i + 2), 1) < 0) nomem() ;
  }
  stralloc_free(&sa) ;
}

static void rewind_to (off_t base)
{
  if (lseek(0, base, SEEK_SET) < 0) strerr_diefusys(111, "rewind the message (fd 0 must be a file)") ;
}

static void rewind_message (ql_t const *q, buffer *b, char *buf, size_t len)
{
  rewind_to(q->base) ;
  buffer_init(b, &buffer_read, 0, buf, len) ;
}

/* Programs may rewind their stdin to 0 (qmail's own condredirect does). When the message
   does not start at 0 (a queue file), give them, once, a copy that does. */
static void message_at_zero (ql_t *q)
{
  char path[] = "/tmp/qmail-local.XXXXXX" ;
  int fd ;
  if (!q->base) return ;
  fd = mkstemp(path) ;
  if (fd < 0) strerr_diefusys(111, "create a temporary copy of the message") ;
  unlink(path) ;
  rewind_to(q->base) ;
  if (fd_cat(0, fd) < 0 || fd_move(0, fd) < 0) strerr_diefusys(111, "copy the message for a program") ;
  q->base = 0 ;
}

static void check_message (ql_t *q)
{
  char buf[BUFFER_INSIZE] ;
  buffer b ;
  struct stat st ;
  int r ;
  if (fstat(0, &st) < 0) strerr_diefusys(111, "stat the message") ;
  q->base = lseek(0, 0, SEEK_CUR) ;
  if (q->base < 0) strerr_diefusys(111, "find the message (fd 0 must be a file)") ;
  if (st.st_size < q->base) strerr_dief(111, "the message starts beyond its end") ;
  q->msgsize = st.st_size - q->base ;
  rewind_message(q, &b, buf, sizeof buf) ;
  r = qlocal_hasdtline(&b, q->dtline.s, q->dtline.len) ;
  if (r < 0) strerr_diefusys(111, "read the message") ;
  if (r) strerr_dief(100, "This message is looping: it already has my Delivered-To line. (#5.4.6)") ;
}

/* Write the added lines and the message to fd (mboxrd-quoted for mbox). 1, or 0 with errno. */
static int write_message (ql_t *q, int fd, int mbox, unsigned long long *written)
{
  char ibuf[BUFFER_INSIZE], obuf[BUFFER_OUTSIZE] ;
  buffer in, out = BUFFER_INIT(&buffer_write, fd, obuf, sizeof obuf) ;
  int r ;
  rewind_message(q, &in, ibuf, sizeof ibuf) ;
  *written = q->rpline.len + q->dtline.len ;
  if (mbox && !buffer_putall(&out, q->ufline.s, q->ufline.len, &(size_t){ 0 })) return 0 ;
  if (!buffer_putall(&out, q->rpline.s, q->rpline.len, &(size_t){ 0 })
   || !buffer_putall(&out, q->dtline.s, q->dtline.len, &(size_t){ 0 })) return 0 ;
  r = qlocal_copy(&out, &in, mbox, written) ;
  if (r == QLOCAL_EREAD) strerr_diefusys(111, "read the message") ;
  if (r < 0) return 0 ;
  if (mbox && !buffer_putall(&out, "\n", 1, &(size_t){ 0 })) return 0 ;
  return buffer_flush(&out) ;
}

static void deliver_maildir (ql_t *q, char const *dir)
{
  maildirname_t m = MAILDIRNAME_ZERO ;
  stralloc tmp = STRALLOC_ZERO, new = STRALLOC_ZERO, name = STRALLOC_ZERO ;
  unsigned long long written ;
  int fd ;
  if (!maildirname_now(&m)) strerr_diefusys(111, "read the clock") ;
  m.hassize = 1 ;
  m.size = q->rpline.len + q->dtline.len + q->msgsize ;
  if (!maildirname_make(&name, &m) || !stralloc_0(&name)
   || !stralloc_copys(&tmp, dir) || !stralloc_cats(&tmp, "tmp/") || !stralloc_cats(&tmp, name.s) || !stralloc_0(&tmp)
   || !stralloc_copys(&new, dir) || !stralloc_cats(&new, "new/") || !stralloc_cats(&new, name.s) || !stralloc_0(&new))
    nomem() ;
  fd = open3(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600) ;
  if (fd < 0) strerr_diefusys(111, "create ", tmp.s) ;
  /* The file is complete and on disk before it gets its name in new/. */
  if (!write_message(q, fd, 0, &written) || fd_sync(fd) < 0 || close(fd) < 0)
  {
    int e = errno ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefusys(111, "write ", tmp.s) ;
  }
  if (written != m.size)
  {
    unlink(tmp.s) ;
    strerr_dief(111, "the message changed size while being delivered (#4.3.0)") ;
  }
  if (link(tmp.s, new.s) < 0)
  {
    int e = errno ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefusys(111, "link ", tmp.s, " to ", new.s) ;
  }
  unlink(tmp.s) ;
  /* The new name is durable only once the directory is synced. */
  new.len = strlen(dir) + 3 ;
  new.s[new.len] = 0 ;
  fd = openc_readb(new.s) ;
  if (fd < 0 || fd_sync(fd) < 0) strerr_diefusys(111, "sync ", new.s) ;
  fd_close(fd) ;
  stralloc_free(&tmp) ; stralloc_free(&new) ; stralloc_free(&name) ;
  q->nfile++ ;
}

/* Wait for the write lock, polling up to LOCKWAIT seconds. */
static void mbox_lock (int fd, char const *fn)
{
  tain deadline, pause ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, LOCKWAIT) ;
  tain_from_millisecs(&pause, LOCKPOLL) ;
  for (;;)
  {
    tain next ;
    int r = fd_lock(fd, 1, 1) ;
    if (r > 0) return ;
    if (r < 0) strerr_diefusys(111, "lock ", fn) ;
    if (!tain_less(&STAMP, &deadline)) strerr_dief(111, "timeout while waiting for the lock on ", fn, " (#4.2.1)") ;
    tain_add_g(&next, &pause) ;
    deepsleepuntil_g(&next) ;
  }
}

/* Open and lock the mbox; after locking, it must still be the file at that name (it may have
   been renamed and replaced meanwhile, as maildir2mbox does). Returns the fd; *size its size. */
static int mbox_open (char const *fn, off_t *size)
{
  for (unsigned int tries = 0 ; tries < MBOXREOPEN ; tries++)
  {
    struct stat st, stn ;
    int fd = open3(fn, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600) ;
    if (fd < 0) strerr_diefusys(111, "open ", fn) ;
    if (fstat(fd, &st) < 0) strerr_diefusys(111, "stat ", fn) ;
    if (!S_ISREG(st.st_mode)) strerr_dief(111, fn, " is not a regular file (#4.2.1)") ;
    mbox_lock(fd, fn) ;
    if (fstat(fd, &st) < 0) strerr_diefusys(111, "stat ", fn) ;
    if (stat(fn, &stn) < 0)
    {
      if (errno != ENOENT) strerr_diefusys(111, "stat ", fn) ;
    }
    else if (stn.st_dev == st.st_dev && stn.st_ino == st.st_ino)
    {
      *size = st.st_size ;
      return fd ;
    }
    fd_close(fd) ;
  }
  strerr_dief(111, fn, " keeps being replaced while we lock it (#4.2.1)") ;
}

static void deliver_mbox (ql_t *q, char const *fn)
{
  unsigned long long written ;
  off_t size ;
  int fd = mbox_open(fn, &size) ;
  errno = 0 ;
  if (!write_message(q, fd, 1, &written) || fd_sync(fd) < 0)
  {
    int e = errno ;
    /* Leave the mailbox as it was: no half message for the next one to be glued to. */
    if (ftruncate(fd, size) < 0) strerr_warnwusys("truncate ", fn, " back to its size") ;
    errno = e ;
    strerr_diefusys(111, "write ", fn) ;
  }
  if (close(fd) < 0) strerr_diefusys(111, "close ", fn) ;
  q->nfile++ ;
}

/* 0, or 99: stop reading the .qmail. Failures exit: the program said why on our fds. */
static int deliver_program (ql_t *q, char const *cmd)
{
  char const *argv[4] = { "/bin/sh", "-c", cmd, 0 } ;
  int code, wstat ;
  message_at_zero(q) ;
  rewind_to(0) ;
  wstat = qlocal_run(argv) ;
  if (wstat < 0) strerr_diefusys(111, "run /bin/sh") ;
  if (WIFSIGNALED(wstat)) strerr_dief(111, "Aack, child crashed. (#4.3.0)") ;
  code = qlocal_progexit(WEXITSTATUS(wstat)) ;
  if (code == 100 || code == 111) _exit(code) ;
  q->nprog++ ;
  return code ;
}

static void add_forward (ql_t *q, char const *addr)
{
  if (!*addr) strerr_dief(111, "Uh-oh: ", q->qmail.s, " has an empty forward address. (#4.7.0)") ;
  if (!stralloc_cats(&q->fwd, addr) || !stralloc_0(&q->fwd)) nomem() ;
  q->nfwd++ ;
}

static void say (char const *what, char const *arg)
{
  if (buffer_puts(buffer_1, what) < 0 || buffer_puts(buffer_1, arg) < 0 || buffer_put(buffer_1, "\n", 1) < 0)
    strerr_diefusys(111, "write to stdout") ;
}

static void run_lines (ql_t *q)
{
  static char const *const said[] = { "", "program ", "forward ", "mbox ", "maildir " } ;
  char *line ;
  size_t len, pos = 0 ;
  while (qlocal_nextline(q->cmds.s, q->cmds.len, &pos, &line, &len))
  {
    size_t arg ;
    qlocal_kind_t k = qlocal_classify(line, len, &arg) ;
    if (k == QLOCAL_SKIP) continue ;
    if (q->forwardonly && k != QLOCAL_FORWARD)
      strerr_dief(111, "Uh-oh: ", q->qmail.s, " has ", k == QLOCAL_PROGRAM ? "prog" : "file", " delivery but has x bit set. (#4.7.0)") ;
    if (!q->doit) say(said[k], line + arg) ;
    else if (k == QLOCAL_FORWARD) add_forward(q, line + arg) ;
    else if (k == QLOCAL_MBOX) deliver_mbox(q, line) ;
    else if (k == QLOCAL_MAILDIR) deliver_maildir(q, line) ;
    else if (deliver_program(q, line + arg) == 99) break ;
  }
}

/* All forwards as one message: Delivered-To, then the message, to every target. */
static pid_t forward_all (ql_t *q)
{
  char const **rcpts = malloc(q->nfwd * sizeof *rcpts) ;
  char const *text ;
  pid_t qp = 0 ;
  int wstat, code ;
  if (!rcpts) nomem() ;
  for (size_t i = 0, pos = 0 ; i < q->nfwd ; pos += strlen(q->fwd.s + pos) + 1) rcpts[i++] = q->fwd.s + pos ;
  rewind_to(q->base) ;
  wstat = qlocal_inject(0, q->dtline.s, q->dtline.len, q->newsender.s, rcpts, q->nfwd, &qp, &text) ;
  if (wstat < 0) strerr_diefusys(111, text) ;
  code = qlocal_qqresult(wstat, &text) ;
  if (code) strerr_dief(code, "unable to forward message: ", text, code == 100 ? " (#5.3.0)" : " (#4.3.0)") ;
  free(rcpts) ;
  return qp ;
}

static void report (ql_t *q, pid_t qp)
{
  char fmt[3][UINT_FMT] ;
  char qpfmt[PID_FMT] ;
  fmt[0][uint_fmt(fmt[0], q->nfile)] = 0 ;
  fmt[1][uint_fmt(fmt[1], (unsigned int)q->nfwd)] = 0 ;
  fmt[2][uint_fmt(fmt[2], q->nprog)] = 0 ;
  qpfmt[pid_fmt(qpfmt, qp)] = 0 ;
  if (buffer_puts(buffer_1, "did ") < 0 || buffer_puts(buffer_1, fmt[0]) < 0 || buffer_puts(buffer_1, "+") < 0
   || buffer_puts(buffer_1, fmt[1]) < 0 || buffer_puts(buffer_1, "+") < 0 || buffer_puts(buffer_1, fmt[2]) < 0
   || buffer_puts(buffer_1, "\n") < 0
   || (qp && (buffer_puts(buffer_1, "qp ") < 0 || buffer_puts(buffer_1, qpfmt) < 0 || buffer_puts(buffer_1, "\n") < 0))
   || !buffer_flush(buffer_1)) strerr_diefusys(111, "write to stdout") ;
}

static void ql_free (ql_t *q)
{
  stralloc *all[] = { &q->safeext, &q->qmail, &q->cmds, &q->recip, &q->dtline, &q->rpline, &q->ufline, &q->newsender, &q->fwd } ;
  for (size_t i = 0 ; i < sizeof all / sizeof *all ; i++) stralloc_free(all[i]) ;
}

int main (int argc, char const *const *argv)
{
  ql_t q = QL_ZERO ;
  pid_t qp = 0 ;
  int i ;
  PROG = "qmail-local" ;
  i = options(argc, argv, &q) ;
  if (argc - i != 8) strerr_dieusage(100, USAGE) ;
  argv += i ;
  if (argv[1][0] != '/') strerr_dief(100, "homedir must be an absolute path: ", argv[1]) ;
  if (!getuid() || !geteuid()) strerr_dief(111, "refusing to run as root (#4.3.0)") ;
  q.user = argv[0] ; q.home = argv[1] ; q.local = argv[2] ; q.dash = argv[3] ;
  q.ext = argv[4] ; q.domain = argv[5] ; q.sender = argv[6] ; q.dd = argv[7] ;
  umask(077) ;
  if (chdir(q.home) < 0) strerr_diefusys(111, "chdir to ", q.home) ;
  check_home() ;
  make_lines(&q) ;
  find_qmail(&q) ;
  make_newsender(&q) ;
  set_env(&q) ;
  if (q.doit) check_message(&q) ;
  run_lines(&q) ;
  if (!q.doit)
  {
    if (!buffer_flush(buffer_1)) strerr_diefusys(111, "write to stdout") ;
  }
  else
  {
    if (q.nfwd) qp = forward_all(&q) ;
    report(&q, qp) ;
  }
  ql_free(&q) ;
  return 0 ;
}
