/* maildir2mbox: move every message of the Maildir $MAILDIR, oldest first, to the end of the mbox
   $MAIL, through the temporary file $MAILTMP (on the same file system as $MAIL). $MAIL stays
   fcntl-locked throughout; the new mbox replaces it by rename, and only once that is on disk are
   the messages removed: a crash at any point loses nothing (at worst a message is in both).
   No fds beyond 0-2. Exit codes: 0 done, 100 usage, 111 error (nothing changed, unless said). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  /* rename */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/gccattributes.h>
#include <skalibs/posixplz.h>
#include <skalibs/sgetopt.h>
#include <skalibs/skamisc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "date822.h"
#include "maildir.h"

#define USAGE "maildir2mbox (with $MAILDIR, $MAIL and $MAILTMP set)"
#define LOCK_TRIES 100

typedef struct mbox_s mbox_t, *mbox_t_ref ;
struct mbox_s
{
  char const *path ;  /* $MAIL */
  char const *tmp ;   /* $MAILTMP */
  int fd ;            /* $MAIL, open and locked */
  struct stat st ;    /* of $MAIL, through fd */
  buffer out ;        /* into $MAILTMP */
  stralloc from ;     /* the sender of the From_ line being written */
  char buf[65536] ;
} ;

static char const *env_required (char const *name)
{
  char const *s = getenv(name) ;
  if (!s || !*s) strerr_dief(111, "environment variable ", name, s ? " is empty" : " is not set") ;
  return s ;
}

/* Before the rename, every error removes $MAILTMP and leaves $MAIL and the Maildir alone. */
static void tmp_die (mbox_t const *m, char const *what, char const *path) gccattr_noreturn ;
static void tmp_die (mbox_t const *m, char const *what, char const *path)
{
  int e = errno ;
  unlink_void(m->tmp) ;
  errno = e ;
  strerr_diefusys(111, what, path) ;
}

static void scan_maildir (maildir_list_t *list, char const *maildir)
{
  char const *why = "" ;
  int r = maildir_check(maildir, &why) ;
  if (r < 0) strerr_diefusys(111, "open Maildir ", maildir) ;
  if (!r) strerr_dief(111, "$MAILDIR is not a Maildir: ", maildir, ": ", why) ;
  if (!maildir_scan(list, maildir)) strerr_diefusys(111, "scan Maildir ", maildir) ;
}

/* Open $MAIL (created 0600 if missing) and take its fcntl write lock, waiting for it. Since we
   and others replace $MAIL by rename, the inode we locked may no longer be $MAIL once we get the
   lock: then start again. O_NOFOLLOW, since the rename would replace a symlink, not its target. */
static void mbox_lock (mbox_t *m)
{
  for (unsigned int i = 0 ; i < LOCK_TRIES ; i++)
  {
    struct stat now ;
    int fd = open3(m->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (fd == -1) strerr_diefusys(111, "open ", m->path) ;
    if (fd_lock(fd, 1, 0) < 1) strerr_diefusys(111, "lock ", m->path) ;
    if (fstat(fd, &m->st) == -1) strerr_diefusys(111, "stat ", m->path) ;
    if (!S_ISREG(m->st.st_mode)) strerr_dief(111, "$MAIL is not a regular file: ", m->path) ;
    if (lstat(m->path, &now) == -1)
    {
      if (errno != ENOENT) strerr_diefusys(111, "stat ", m->path) ;
    }
    else if (now.st_dev == m->st.st_dev && now.st_ino == m->st.st_ino)
    {
      m->fd = fd ;
      return ;
    }
    fd_close(fd) ;
  }
  strerr_dief(111, m->path, " keeps being replaced while we wait for its lock") ;
}

/* $MAILTMP gets $MAIL's mode. A leftover from a crashed run is removed: we hold the lock, so
   no other maildir2mbox is writing it. O_EXCL, so that we never write through a planted link. */
static void mbox_opentmp (mbox_t *m)
{
  struct stat st ;
  int fd ;
  if (lstat(m->tmp, &st) == 0 && st.st_dev == m->st.st_dev && st.st_ino == m->st.st_ino)
    strerr_dief(111, "$MAILTMP and $MAIL are the same file: ", m->tmp) ;
  if (unlink(m->tmp) == -1 && errno != ENOENT) strerr_diefusys(111, "remove stale ", m->tmp) ;
  fd = open3(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) ;
  if (fd == -1) strerr_diefusys(111, "create ", m->tmp) ;
  if (fchmod(fd, m->st.st_mode & 07777) == -1) tmp_die(m, "chmod ", m->tmp) ;
  buffer_init(&m->out, &buffer_write, fd, m->buf, sizeof m->buf) ;
}

static void mbox_put (mbox_t *m, char const *s, size_t len)
{
  if (buffer_put(&m->out, s, len) == -1) tmp_die(m, "write to ", m->tmp) ;
}

/* The old mbox first, completed with a newline if its last line lacks one. */
static void mbox_copyold (mbox_t *m)
{
  char buf[BUFFER_INSIZE] ;
  char last = '\n' ;
  if (lseek(m->fd, 0, SEEK_SET) == -1) tmp_die(m, "seek in ", m->path) ;
  for (;;)
  {
    ssize_t r = fd_read(m->fd, buf, sizeof buf) ;
    if (r == -1) tmp_die(m, "read ", m->path) ;
    if (!r) break ;
    mbox_put(m, buf, r) ;
    last = buf[r - 1] ;
  }
  if (last != '\n') mbox_put(m, "\n", 1) ;
}

/* "From SENDER DATE\n". SENDER comes from a first line "Return-Path: <addr>", else is
   MAILER-DAEMON; blanks and controls in it would split the From_ line, so they become '_'. */
static void mbox_fromline (mbox_t *m, stralloc const *first, uint64_t t)
{
  char date[DATE822_CTIME_FMT] ;
  size_t datelen = date822_fmt_ctime(date, (time_t)t) ;
  char const *s = first->s ;
  size_t len = first->len, i = 12, end ;
  m->from.len = 0 ;
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) len-- ;
  if (len >= 12 && !strncasecmp(s, "Return-Path:", 12))
  {
    while (i < len && (s[i] == ' ' || s[i] == '\t')) i++ ;
    if (i < len && s[i] == '<') for (end = ++i ; end < len && s[end] != '>' ; end++) ;
    else for (end = i ; end < len && s[end] != ' ' && s[end] != '\t' ; end++) ;
    if (!stralloc_catb(&m->from, s + i, end - i)) tmp_die(m, "allocate memory for ", m->tmp) ;
    for (i = 0 ; i < m->from.len ; i++)
      if ((unsigned char)m->from.s[i] <= ' ' || m->from.s[i] == 0x7f) m->from.s[i] = '_' ;
  }
  mbox_put(m, "From ", 5) ;
  if (m->from.len) mbox_put(m, m->from.s, m->from.len) ;
  else mbox_put(m, "MAILER-DAEMON", 13) ;
  mbox_put(m, " ", 1) ;
  if (!datelen) datelen = date822_fmt_ctime(date, 0) ;  /* a name from outside years 1900-9999 */
  mbox_put(m, date, datelen) ;
  mbox_put(m, "\n", 1) ;
}

/* mboxrd: a line matching ^>*From gets one more '>', so that readers can undo it exactly */
static void mbox_putline (mbox_t *m, char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len && s[i] == '>') i++ ;
  if (len - i >= 5 && !memcmp(s + i, "From ", 5)) mbox_put(m, ">", 1) ;
  mbox_put(m, s, len) ;
}

/* Next line of a message into line, with its '\n' (added to a last line without one).
   0 at the end. */
static int msg_getln (mbox_t const *m, buffer *in, stralloc *line, char const *path)
{
  int r ;
  line->len = 0 ;
  r = skagetln(in, line, '\n') ;
  if (r >= 0) return r ;
  if (errno != EPIPE) tmp_die(m, "read ", path) ;
  if (!stralloc_catb(line, "\n", 1)) tmp_die(m, "allocate memory for ", path) ;
  return 1 ;
}

/* Append one message and its blank separator line; 0 if the file vanished (taken by another
   reader since the scan). */
static int mbox_addmsg (mbox_t *m, maildir_msg_t const *msg, stralloc *line)
{
  char buf[BUFFER_INSIZE] ;
  buffer in ;
  int more ;
  int fd = open2(msg->path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1)
  {
    if (errno == ENOENT) return 0 ;
    tmp_die(m, "open ", msg->path) ;
  }
  buffer_init(&in, &buffer_read, fd, buf, sizeof buf) ;
  more = msg_getln(m, &in, line, msg->path) ;
  mbox_fromline(m, line, msg->time) ;
  for (; more ; more = msg_getln(m, &in, line, msg->path)) mbox_putline(m, line->s, line->len) ;
  fd_close(fd) ;
  mbox_put(m, "\n", 1) ;
  return 1 ;
}

/* The new mbox must be on disk before it replaces $MAIL, and the rename on disk before any
   message leaves the Maildir. A failure after the rename keeps the messages in the Maildir too:
   a later run may deliver them twice, but nothing is lost. */
static void mbox_commit (mbox_t *m)
{
  stralloc dir = STRALLOC_ZERO ;
  int fd = buffer_fd(&m->out) ;
  if (!buffer_flush(&m->out)) tmp_die(m, "write to ", m->tmp) ;
  if (fd_sync(fd) == -1) tmp_die(m, "fsync ", m->tmp) ;
  if (close(fd) == -1) tmp_die(m, "close ", m->tmp) ;
  if (rename(m->tmp, m->path) == -1)
  {
    int e = errno ;
    unlink_void(m->tmp) ;
    errno = e ;
    strerr_diefusys(111, "rename ", m->tmp, " to ", m->path) ;
  }
  if (!sadirname(&dir, m->path, strlen(m->path)) || !stralloc_0(&dir) || !maildir_syncdir(dir.s))
    strerr_diefusys(111, "fsync the directory of ", m->path, " (the messages are in $MAIL and still in the Maildir)") ;
  stralloc_free(&dir) ;
}

static void syncsub (char const *maildir, char const *sub, stralloc *sa)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, maildir) || !stralloc_cats(sa, sub) || !stralloc_0(sa) || !maildir_syncdir(sa->s))
    strerr_diefusys(111, "fsync ", maildir, sub) ;
}

/* After the commit: remove the copied messages, and sync new/ and cur/ so they stay removed */
static void clear_maildir (char const *maildir, maildir_list_t *list)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t failed = 0 ;
  for (size_t i = 0 ; i < maildir_list_len(list) ; i++)
  {
    char const *path = maildir_list_msg(list, i)->path ;
    if (path && unlink(path) == -1 && errno != ENOENT)
    {
      strerr_warnwusys("remove ", path, " (it is in $MAIL now)") ;
      failed++ ;
    }
  }
  syncsub(maildir, "/new", &sa) ;
  syncsub(maildir, "/cur", &sa) ;
  stralloc_free(&sa) ;
  if (failed) strerr_dief(111, "some messages are now both in $MAIL and in the Maildir") ;
}

int main (int argc, char const *const *argv)
{
  mbox_t m = { .fd = -1, .out = BUFFER_ZERO, .from = STRALLOC_ZERO } ;
  maildir_list_t list = MAILDIR_LIST_ZERO ;
  stralloc line = STRALLOC_ZERO ;
  subgetopt l = SUBGETOPT_ZERO ;
  char const *maildir ;
  PROG = "maildir2mbox" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  if (argc != l.ind) strerr_dieusage(100, USAGE) ;
  maildir = env_required("MAILDIR") ;
  m.path = env_required("MAIL") ;
  m.tmp = env_required("MAILTMP") ;

  scan_maildir(&list, maildir) ;
  if (!maildir_list_len(&list)) return 0 ;
  mbox_lock(&m) ;
  mbox_opentmp(&m) ;
  mbox_copyold(&m) ;
  for (size_t i = 0 ; i < maildir_list_len(&list) ; i++)
  {
    maildir_msg_t *msg = maildir_list_msg(&list, i) ;
    if (!mbox_addmsg(&m, msg, &line)) msg->path = 0 ;  /* vanished: nothing to remove later */
  }
  mbox_commit(&m) ;
  clear_maildir(maildir, &list) ;
  fd_close(m.fd) ;  /* releases the lock, after the removals */
  stralloc_free(&line) ;
  stralloc_free(&m.from) ;
  maildir_list_free(&list) ;
  return 0 ;
}
