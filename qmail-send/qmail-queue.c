/* qmail-queue: the only way into the queue (doc/QUEUE.md). Message on fd 0, envelope on fd 1
   ("F" sender NUL, "T" recipient NUL ..., NUL). Writes an unnamed file (O_TMPFILE in queue/pid/,
   else queue/pid/PID) with the header and a Received line, fsyncs it, links it as
   queue/todo/S/ID (or renames pid/PID there), fsyncs that directory, then pokes lock/trigger. Exits 0 only when the message is durable; otherwise one of qmail-queue(8)'s
   codes (lib/exitcode.h) and one line on stderr. Setuid in a real install: trusts no env. */

#define _GNU_SOURCE   /* O_TMPFILE and linkat's AT_EMPTY_PATH (Linux) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "date822.h"
#include "envelope.h"
#include "exitcode.h"
#include "home.h"
#include "queue.h"
#include "timedio.h"

#define USAGE "qmail-queue < message 1< envelope"
#define TIMEOUT 86400          /* a client that stalls for a day in a read loses its message */
#define ENVELOPE_TOTALMAX (16UL << 20)

static char pidfn[8 + PID_FMT] = "pid/" ;
static int pidfd = -1 ;
static int anonymous = 0 ;     /* pidfd is an O_TMPFILE: it has no name to remove */

static void die (int code, char const *what)
{
  int e = errno ;
  if (pidfd >= 0 && !anonymous) unlink(pidfn) ;  /* nobody has seen this file: removing it loses nothing */
  errno = e ;
  strerr_warnwsys(what) ;
  _exit(code) ;
}

/* The buffers' read function: no clock is read (lib/timedio.h says why). */
static ssize_t timed_readv (int fd, struct iovec const *v, unsigned int n)
{
  for (;;)
  {
    ssize_t r ;
    if (!timedio_wait(fd, 0, TIMEOUT)) return -1 ;
    r = fd_readv(fd, v, n) ;
    if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return r ;
  }
}

static int readerr_code (void)
{
  return errno == ETIMEDOUT ? QQ_TIMEOUT : QQ_READ ;
}

/* The uid by number: a name would cost a password-database lookup on every message. */
static void received (stralloc *sa, pid_t pid, time_t now)
{
  char fmt[UINT64_FMT] ;
  char date[DATE822_FMT] ;
  if (!stralloc_cats(sa, "Received: (qmail ") || !stralloc_catb(sa, fmt, uint64_fmt(fmt, pid))
   || !stralloc_cats(sa, " invoked by uid ") || !stralloc_catb(sa, fmt, uint64_fmt(fmt, getuid()))) goto nomem ;
  if (!stralloc_cats(sa, "); ") || !stralloc_catb(sa, date, date822_fmt(date, now)) || !stralloc_cats(sa, "\n")) goto nomem ;
  return ;
 nomem:
  die(QQ_NOMEM, "build Received line") ;
}

/* An unnamed file: a crash leaves nothing behind, and the commit is one link into todo/
   rather than a rename across directories (which serializes on the filesystem's rename lock).
   Without O_TMPFILE, the named pid/PID file. */
static void create_pidfile (pid_t pid)
{
  pidfd = open3("pid", O_TMPFILE | O_RDWR | O_CLOEXEC, 0640) ;
  if (pidfd >= 0)
  {
    anonymous = 1 ;
    if (fchmod(pidfd, 0640) < 0) die(QQ_QUEUEPID, "chmod the queue file") ;
    return ;
  }
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) die(QQ_QUEUEPID, "create a file in queue/pid") ;
  pidfn[4 + pid_fmt(pidfn + 4, pid)] = 0 ;
  pidfd = open3(pidfn, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640) ;
  if (pidfd < 0 && errno == EEXIST)  /* left by an earlier process with our pid, which is dead */
  {
    unlink(pidfn) ;
    pidfd = open3(pidfn, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640) ;
  }
  if (pidfd < 0) die(QQ_QUEUEPID, "create queue/pid file") ;
  if (fchmod(pidfd, 0640) < 0) die(QQ_QUEUEPID, "chmod queue/pid file") ;
}

/* Write the Received line and the message at offset QUEUE_RESERVE; returns the body length. */
static uint64_t copy_message (stralloc *rcvd)
{
  char buf[65536] ;
  uint64_t total = rcvd->len ;
  struct iovec v = { .iov_base = buf, .iov_len = sizeof buf } ;
  if (pwrite(pidfd, rcvd->s, rcvd->len, QUEUE_RESERVE) != (ssize_t)rcvd->len) die(QQ_WRITE, "write message") ;
  if (lseek(pidfd, QUEUE_RESERVE + rcvd->len, SEEK_SET) < 0) die(QQ_WRITE, "seek in message") ;
  for (;;)
  {
    ssize_t r = timed_readv(0, &v, 1) ;
    if (r < 0) die(readerr_code(), "read message") ;
    if (!r) break ;
    if (allwrite(pidfd, buf, r) != (size_t)r) die(QQ_WRITE, "write message") ;
    total += r ;
  }
  return total ;
}

/* The envelope did not fit the reservation: move the body up to newoff, last chunk first. */
static void move_body (uint64_t bodylen, uint64_t newoff)
{
  char buf[65536] ;
  uint64_t left = bodylen ;
  while (left)
  {
    size_t n = left < sizeof buf ? left : sizeof buf ;
    left -= n ;
    if (pread(pidfd, buf, n, QUEUE_RESERVE + left) != (ssize_t)n) die(QQ_WRITE, "reread message") ;
    if (pwrite(pidfd, buf, n, newoff + left) != (ssize_t)n) die(QQ_WRITE, "write message") ;
  }
}

static void read_envelope (stralloc *sa, envelope_t *env)
{
  char buf[4096] ;
  buffer b = BUFFER_INIT(&timed_readv, 1, buf, sizeof buf) ;
  int r = envelope_read(&b, sa, ENVELOPE_TOTALMAX, ENVELOPE_ADDRMAX, env) ;
  if (r == ENVELOPE_OK) return ;
  if (r == ENVELOPE_EREAD) die(readerr_code(), "read envelope") ;
  if (r == ENVELOPE_ENOMEM) die(QQ_NOMEM, "read envelope") ;
  errno = EINVAL ;
  strerr_warnw("bad envelope: ", envelope_strerror(r)) ;
  if (pidfd >= 0 && !anonymous) unlink(pidfn) ;
  _exit(r == ENVELOPE_ETOOLONG ? QQ_ADDRTOOLONG : QQ_ENVELOPE) ;
}

/* Give the unnamed file its name in todo/: directly (Linux 6.10 lets the file's opener do
   it; root always may), else through /proc/self/fd. */
static int linkin (char const *path)
{
  char proc[16 + UINT_FMT] = "/proc/self/fd/" ;
  if (!linkat(pidfd, "", AT_FDCWD, path, AT_EMPTY_PATH)) return 0 ;
  proc[14 + uint_fmt(proc + 14, pidfd)] = 0 ;
  return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) ;
}

/* Neither worked (an older kernel without /proc): copy the unnamed file into pid/PID, make
   that durable, and rename it into todo/ under its own inode number, which names it in the
   queue (the unnamed file's number is free again once it is closed). Slow, but nothing is lost. */
static void copyin (stralloc *todo, unsigned int split)
{
  char buf[65536] ;
  struct stat st ;
  int fd ;
  pidfn[4 + pid_fmt(pidfn + 4, getpid())] = 0 ;
  unlink(pidfn) ;   /* left by an earlier process with our pid, which is dead */
  fd = open3(pidfn, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640) ;
  if (fd < 0) die(QQ_QUEUEPID, "create queue/pid file") ;
  anonymous = 0 ;   /* die() removes pidfn from here on */
  if (fchmod(fd, 0640) < 0) die(QQ_QUEUEPID, "chmod queue/pid file") ;
  for (off_t off = 0 ;;)
  {
    ssize_t r = pread(pidfd, buf, sizeof buf, off) ;
    if (!r) break ;
    if (r < 0) die(QQ_WRITE, "reread message") ;
    if (allwrite(fd, buf, r) != (size_t)r) die(QQ_WRITE, "write message") ;
    off += r ;
  }
  if (fsync(fd) < 0) die(QQ_WRITE, "fsync message") ;
  if (fstat(fd, &st) < 0) die(QQ_QUEUEPID, "stat queue/pid file") ;
  if (!queue_path(todo, "todo", st.st_ino, split)) die(QQ_NOMEM, "build todo path") ;
  if (rename(pidfn, todo->s) < 0) die(QQ_QUEUETODO, "put the file into queue/todo") ;
  fd_close(fd) ;
}

static void commit (uint64_t id, unsigned int split)
{
  stralloc todo = STRALLOC_ZERO ;
  int dirfd ;
  if (fsync(pidfd) < 0) die(QQ_WRITE, "fsync message") ;   /* content on disk before it has a name */
  if (!queue_path(&todo, "todo", id, split)) die(QQ_NOMEM, "build todo path") ;
  if (!anonymous) { if (rename(pidfn, todo.s) < 0) die(QQ_QUEUETODO, "put the file into queue/todo") ; }
  else if (linkin(todo.s) < 0)
  {
    if (errno != ENOENT && errno != EPERM) die(QQ_QUEUETODO, "put the file into queue/todo") ;
    copyin(&todo, split) ;
  }
  fd_close(pidfd) ;
  pidfd = -1 ;  /* the name is in todo/: nothing to clean up any more */
  todo.s[byte_rchr(todo.s, todo.len, '/')] = 0 ;
  dirfd = open_read(todo.s) ;
  /* The new name must be on disk before we exit 0: that exit is the client's 250. */
  if (dirfd < 0 || fsync(dirfd) < 0) strerr_diefusys(QQ_QUEUETODO, "fsync ", todo.s) ;
  fd_close(dirfd) ;
  stralloc_free(&todo) ;
}

static void trigger (void)
{
  int fd = open2("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (fd < 0) return ;  /* no qmail-send listening: it scans todo/ when it starts */
  fd_write(fd, "", 1) ;
  fd_close(fd) ;
}

int main (int argc, char const *const *argv)
{
  stralloc hdr = STRALLOC_ZERO, envsa = STRALLOC_ZERO ;
  envelope_t env = ENVELOPE_ZERO ;
  struct stat st ;
  unsigned int split ;
  size_t bodyoff ;
  uint64_t bodylen ;
  pid_t pid = getpid() ;
  time_t now ;
  PROG = "qmail-queue" ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  (void)argv ;
  sig_ignore(SIGPIPE) ;
  if (chdir(home_dir()) < 0) die(QQ_HOME, "chdir to home") ;
  if (chdir("queue") < 0) die(QQ_QUEUE, "chdir to queue") ;
  if (!queue_split(&split)) die(QQ_CONFIG, "read queue/split") ;

  create_pidfile(pid) ;
  if (fstat(pidfd, &st) < 0) die(QQ_QUEUEPID, "stat queue/pid file") ;
  now = st.st_mtime ;   /* the file was made just now: no clock to read */
  received(&hdr, pid, now) ;
  bodylen = copy_message(&hdr) ;
  read_envelope(&envsa, &env) ;

  hdr.len = 0 ;
  if (!queuehdr_build(&hdr, now, getuid(), pid, &env, QUEUE_RESERVE, &bodyoff)) die(QQ_NOMEM, "build header") ;
  if (bodyoff > QUEUE_RESERVE) move_body(bodylen, bodyoff) ;
  if (pwrite(pidfd, hdr.s, hdr.len, 0) != (ssize_t)hdr.len) die(QQ_WRITE, "write header") ;
  commit(st.st_ino, split) ;
  trigger() ;
  return 0 ;
}
