/* qmail-clean: makes every change to queued files on behalf of qmail-todo and qmail-send, so
   that they never need write access to the queue (doc/QUEUE.md, "Who may change what").
   Requests on fd 0, one per line; one answer line per request on fd 1: "+" or "-reason".
   Runs in queue/ as qmailq. Exits 0 at end of input, 111 on a broken pipe or read error. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/skamisc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "exitcode.h"
#include "home.h"
#include "queue.h"

#define USAGE "qmail-clean"
#define STALE_PID 129600   /* 36 hours: a qmail-queue older than that is dead */
#define WRITEMAX 64

typedef struct request_s request_t ;
struct request_s
{
  char op ;
  char dir ;            /* 't' or 'm' */
  uint64_t id ;
  uint64_t off ;
  char const *bytes ;
  size_t len ;
} ;

static int fsync_dir_of (char *path, size_t len)
{
  size_t slash = byte_rchr(path, len, '/') ;
  int fd, r ;
  path[slash] = 0 ;
  fd = open_read(path) ;
  r = fd >= 0 && fsync(fd) == 0 ;
  fd_close(fd) ;
  path[slash] = '/' ;
  return r ;
}

/* Parse "op[dir] id [off bytes]" in place. 0 if malformed. */
static int parse (char *s, size_t len, request_t *q)
{
  size_t i = 1, n ;
  q->op = s[0] ;
  if (q->op == 'p') return len == 1 ;
  if (q->op == 'w' || q->op == 's')
  {
    if (len < 2 || (s[1] != 't' && s[1] != 'm')) return 0 ;
    q->dir = s[i++] ;
  }
  else if (q->op == 'm' || q->op == 'r') q->dir = q->op == 'm' ? 't' : 'm' ;
  else return 0 ;
  if (i >= len || s[i++] != ' ') return 0 ;
  n = uint64_scan(s + i, &q->id) ;
  if (!n) return 0 ;
  i += n ;
  if (q->op != 'w') return i == len ;
  if (i >= len || s[i++] != ' ') return 0 ;
  n = uint64_scan(s + i, &q->off) ;
  if (!n) return 0 ;
  i += n ;
  if (i >= len || s[i++] != ' ') return 0 ;
  q->bytes = s + i ;
  q->len = len - i ;
  if (!q->len || q->len > WRITEMAX) return 0 ;
  for (size_t j = 0 ; j < q->len ; j++)
    if (!strchr("TLRDX0123456789", q->bytes[j]) || !q->bytes[j]) return 0 ;
  return 1 ;
}

/* A write may change only what qmail-todo and qmail-send own: one recipient's state letter,
   or one whole next-try time. Addresses, the sender and the message stay as queued. */
static int allowed (queuehdr_t const *h, char const *hdr, request_t const *q)
{
  queuercpt_t r ;
  size_t pos = h->rcptstart ;
  if (q->len == QUEUE_NUMLEN) return q->off == h->nextlocaloff || q->off == h->nextremoteoff ;
  if (q->len != 1 || !strchr("TLRDX", q->bytes[0])) return 0 ;
  while (queuehdr_nextrcpt(h, hdr, &pos, &r)) if (r.off == q->off) return 1 ;
  return 0 ;
}

static int do_write (char const *path, request_t const *q, stralloc *hdr)
{
  queuehdr_t h ;
  int fd = open2(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) ;
  int ok ;
  if (fd < 0) return 0 ;
  ok = queuehdr_read(fd, hdr, &h) ;
  if (ok && !allowed(&h, hdr->s, q)) { errno = EINVAL ; ok = 0 ; }
  if (ok) ok = pwrite(fd, q->bytes, q->len, q->off) == (ssize_t)q->len ;
  fd_close(fd) ;
  return ok ;
}

static int do_sync (char const *path)
{
  int fd = open2(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) ;
  int ok = fd >= 0 && fdatasync(fd) == 0 ;
  fd_close(fd) ;
  return ok ;
}

static int do_move (stralloc *from, stralloc *to)
{
  if (!do_sync(from->s)) return 0 ;               /* letters on disk before the new name */
  if (rename(from->s, to->s) < 0) return 0 ;
  return fsync_dir_of(to->s, to->len) && fsync_dir_of(from->s, from->len) ;
}

static int do_remove (stralloc *path)
{
  if (unlink(path->s) < 0 && errno != ENOENT) return 0 ;
  return fsync_dir_of(path->s, path->len) ;
}

static int do_pidclean (void)
{
  DIR *d = opendir("pid") ;
  time_t now = time(0) ;
  char fn[5 + 256] = "pid/" ;
  if (!d) return 0 ;
  for (;;)
  {
    struct stat st ;
    direntry *e ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    if (e->d_name[0] == '.' || strlen(e->d_name) > 255) continue ;
    strcpy(fn + 4, e->d_name) ;
    if (stat(fn, &st) == 0 && now - st.st_atime > STALE_PID && now - st.st_mtime > STALE_PID) unlink(fn) ;
  }
  dir_close(d) ;
  return errno == 0 ;
}

static int handle (request_t const *q, unsigned int split, stralloc *a, stralloc *b)
{
  if (q->op == 'p') return do_pidclean() ;
  if (!queue_path(a, q->dir == 't' ? "todo" : "mess", q->id, split)) return 0 ;
  switch (q->op)
  {
    case 'w' : return do_write(a->s, q, b) ;
    case 's' : return do_sync(a->s) ;
    case 'm' : return queue_path(b, "mess", q->id, split) && do_move(a, b) ;
    case 'r' : return do_remove(a) ;
  }
  return 0 ;
}

static void answer (int ok, char const *why)
{
  if (ok) buffer_putnoflush(buffer_1, "+\n", 2) ;
  else
  {
    buffer_putnoflush(buffer_1, "-", 1) ;
    buffer_putsnoflush(buffer_1, why) ;
    buffer_putnoflush(buffer_1, "\n", 1) ;
  }
  /* answer every request before blocking for the next one: the requester waits for it */
  if (!buffer_getlen(buffer_0) && !buffer_flush(buffer_1)) strerr_diefusys(QX_TEMP, "write answer") ;
}

int main (int argc, char const *const *argv)
{
  stralloc line = STRALLOC_ZERO, a = STRALLOC_ZERO, b = STRALLOC_ZERO ;
  unsigned int split ;
  PROG = "qmail-clean" ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  sig_ignore(SIGPIPE) ;  /* a requester that went away is an error on write, not a signal */
  (void)argv ;
  home_chdir() ;
  if (chdir("queue") < 0) strerr_diefusys(QX_TEMP, "chdir to queue") ;
  if (!queue_split(&split)) strerr_diefusys(QX_TEMP, "read queue/split") ;
  for (;;)
  {
    request_t q ;
    int r ;
    line.len = 0 ;
    r = skagetln(buffer_0, &line, '\n') ;
    if (r <= 0)
    {
      if (r < 0 && errno != EPIPE) strerr_diefusys(QX_TEMP, "read request") ;
      if (line.len) strerr_dief(QX_TEMP, "request without newline at end of input") ;
      return 0 ;
    }
    line.s[--line.len] = 0 ;
    if (!parse(line.s, line.len, &q)) { answer(0, "malformed request") ; continue ; }
    r = handle(&q, split, &a, &b) ;
    answer(r, r ? "" : strerror(errno)) ;
  }
}
