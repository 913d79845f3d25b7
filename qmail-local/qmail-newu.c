/* qmail-newu: compile $QMAILHOME/users/assign (qmail-users(5)) into users/cdb for the lookups
   of qmail-lspawn (lib/assign). users/cdb.tmp is locked, written, fsynced and renamed over
   users/cdb, then users/ is fsynced: readers see the old or the new cdb, never a mixture, and a
   malformed assign leaves users/cdb untouched. No fds but 2 (diagnostics).
   Exit codes: 0 done, 100 usage, 111 malformed assign (the line is named) or system error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "assign.h"
#include "home.h"

#define USAGE "qmail-newu"
#define ASSIGN "users/assign"
#define TMP "users/cdb.tmp"

/* The tmp file, locked against a concurrent qmail-newu. After waiting for the lock, the file
   may have been renamed to users/cdb by the other run: writing it would damage the live cdb,
   so open again until the locked file is still the one named users/cdb.tmp. */
static int open_tmp (void)
{
  for (;;)
  {
    struct stat st1, st2 ;
    int r, fd = open3(TMP, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) ;
    if (fd == -1) strerr_diefusys(111, "open ", TMP) ;
    if (fd_lock(fd, 1, 0) != 1) strerr_diefusys(111, "lock ", TMP) ;
    if (fstat(fd, &st1) == -1) strerr_diefusys(111, "stat ", TMP) ;
    r = stat(TMP, &st2) ;
    if (r == -1 && errno != ENOENT) strerr_diefusys(111, "stat ", TMP) ;
    if (!r && st1.st_dev == st2.st_dev && st1.st_ino == st2.st_ino)
    {
      if (ftruncate(fd, 0) == -1) strerr_diefusys(111, "truncate ", TMP) ;
      if (fchmod(fd, 0644) == -1) strerr_diefusys(111, "chmod ", TMP) ;  /* whatever the umask */
      return fd ;
    }
    fd_close(fd) ;
  }
}

static void die_malformed (size_t line, char const *why)
{
  char fmt[SIZE_FMT] ;
  fmt[size_fmt(fmt, line)] = 0 ;
  unlink(TMP) ;
  strerr_dief(111, ASSIGN, " line ", fmt, ": ", why, "; ", ASSIGN_CDB, " left unchanged") ;
}

static void compile (int fd, stralloc const *text)
{
  cdbmaker c = CDBMAKER_ZERO ;
  char const *why = 0 ;
  size_t line = 0 ;
  int r ;
  if (!cdbmake_start(&c, fd)) strerr_diefusys(111, "write ", TMP) ;
  r = assign_make(&c, text->s, text->len, &line, &why) ;
  if (!r) die_malformed(line, why) ;
  if (r < 0 || !cdbmake_finish(&c)) { unlink(TMP) ; strerr_diefusys(111, "write ", TMP) ; }
}

/* the rename is the commit point; users/ is synced so that the new name survives a crash */
static void commit (int fd)
{
  int dfd ;
  if (fsync(fd) == -1) { unlink(TMP) ; strerr_diefusys(111, "fsync ", TMP) ; }
  if (rename(TMP, ASSIGN_CDB) == -1) strerr_diefusys(111, "rename ", TMP, " to ", ASSIGN_CDB) ;
  fd_close(fd) ;
  dfd = open2("users", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd == -1 || fsync(dfd) == -1) strerr_diefusys(111, "fsync users/") ;
  fd_close(dfd) ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  stralloc text = STRALLOC_ZERO ;
  int fd ;
  PROG = "qmail-newu" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  if (argc - l.ind) strerr_dieusage(100, USAGE) ;
  home_chdir() ;
  if (!openslurpclose(&text, ASSIGN)) strerr_diefusys(111, "read ", ASSIGN) ;
  fd = open_tmp() ;
  compile(fd, &text) ;
  commit(fd) ;
  stralloc_free(&text) ;
  return 0 ;
}
