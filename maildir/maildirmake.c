/* maildirmake DIR: create the Maildir DIR (DIR, DIR/tmp, DIR/new, DIR/cur, all mode 0700).
   An existing complete Maildir is left alone (exit 0); anything else already at DIR is refused
   (exit 100) and left untouched. No fds used beyond 2 (diagnostics).
   Exit codes: 0 done or already there, 100 usage or DIR is not a Maildir, 111 system error. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include "maildir.h"

#define USAGE "maildirmake dir"

/* 1 if we made dir, 0 if it was there already */
static int mkdir_0700 (char const *dir)
{
  if (mkdir(dir, 0700) == 0) return 1 ;
  if (errno != EEXIST) strerr_diefusys(111, "mkdir ", dir) ;
  return 0 ;
}

/* dir exists: exit 0 if it is a complete Maildir, else refuse without touching it */
static void check_existing (char const *dir)
{
  char const *why = 0 ;
  int r = maildir_check(dir, &why) ;
  if (r < 0) strerr_diefusys(111, "check ", dir) ;
  if (!r) strerr_dief(100, dir, " exists and is not a Maildir: ", why) ;
  _exit(0) ;
}

/* the new entry dir is only durable once its parent directory is synced */
static void sync_parent (char const *dir)
{
  stralloc parent = STRALLOC_ZERO ;
  if (!sadirname(&parent, dir, strlen(dir)) || !stralloc_0(&parent))
    strerr_diefusys(111, "find the parent of ", dir) ;
  if (!maildir_syncdir(parent.s)) strerr_diefusys(111, "fsync ", parent.s) ;
  stralloc_free(&parent) ;
}

int main (int argc, char const *const *argv)
{
  static char const *const subs[3] = { "tmp", "new", "cur" } ;
  subgetopt l = SUBGETOPT_ZERO ;
  stralloc sub = STRALLOC_ZERO ;
  char const *dir ;
  PROG = "maildirmake" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  argc -= l.ind ; argv += l.ind ;
  if (argc != 1 || !*argv[0]) strerr_dieusage(100, USAGE) ;
  dir = argv[0] ;
  umask(077) ;  /* so that mkdir's 0700 is exact, whatever the caller's umask */

  if (!mkdir_0700(dir)) check_existing(dir) ;
  sync_parent(dir) ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    sub.len = 0 ;
    if (!stralloc_cats(&sub, dir) || !stralloc_catb(&sub, "/", 1) || !stralloc_cats(&sub, subs[i])
     || !stralloc_0(&sub)) strerr_diefusys(111, "build a path under ", dir) ;
    if (!mkdir_0700(sub.s)) strerr_dief(111, sub.s, " appeared while creating ", dir) ;
  }
  if (!maildir_syncdir(dir)) strerr_diefusys(111, "fsync ", dir) ;
  stralloc_free(&sub) ;
  return 0 ;
}
