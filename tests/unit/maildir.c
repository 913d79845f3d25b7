/* Unit tests of lib/maildir.c: layout check, scan order and filtering, names, flags. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <utime.h>
#include <sys/stat.h>
#include <skalibs/djbunix.h>
#include "maildir.h"
#include "../tap.h"

static void put (char const *path)
{
  if (!openwritenclose_unsafe(path, "x\n", 2)) { perror(path) ; exit(111) ; }
}

static void mkdirs (char const *dir)
{
  char sub[64] ;
  static char const *const subs[3] = { "tmp", "new", "cur" } ;
  if (mkdir(dir, 0700) == -1) { perror(dir) ; exit(111) ; }
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    strcpy(sub, dir) ; strcat(sub, "/") ; strcat(sub, subs[i]) ;
    if (mkdir(sub, 0700) == -1) { perror(sub) ; exit(111) ; }
  }
}

static void names (void)
{
  uint64_t t = 7 ;
  ok(maildir_nametime("1732171200.M1P2.host", &t) && t == 1732171200, "time from a Maildir name") ;
  ok(maildir_nametime("0.x", &t) && t == 0, "time zero") ;
  ok(maildir_nametime("18446744073709551615.x", &t) && t == 18446744073709551615ULL, "largest time") ;
  ok(!maildir_nametime("18446744073709551616.x", &t), "overflowing time is no time") ;
  ok(!maildir_nametime("abc.123", &t), "name without a leading number") ;
  ok(!maildir_nametime("", &t), "empty name") ;
  is_str(maildir_flags("123.x.host:2,RS"), "RS", "flags") ;
  is_str(maildir_flags("123.x.host:2,"), "", "empty flags") ;
  ok(!maildir_flags("123.x.host"), "no info part") ;
  ok(!maildir_flags("123.x.host:1,foo"), "experimental info is no flags") ;
  is_str(maildir_flags("123.x:y:2,S"), "S", "last colon counts") ;
}

static void check (void)
{
  char const *why = 0 ;
  ok(maildir_check("md", &why) == 1, "complete Maildir") ;
  errno = 0 ;
  ok(maildir_check("absent", &why) == -1 && errno == ENOENT, "missing directory is an error, ENOENT") ;
  put("plain") ;
  ok(maildir_check("plain", &why) == 0, "a file is no Maildir") ;
  is_str(why, "not a directory", "reason: not a directory") ;
  mkdirs("partial") ;
  rmdir("partial/cur") ;
  ok(maildir_check("partial", &why) == 0, "missing cur/") ;
  is_str(why, "no cur/ subdirectory", "reason names cur/") ;
  rmdir("partial/tmp") ;
  put("partial/tmp") ;
  ok(maildir_check("partial", &why) == 0, "tmp is a file") ;
  is_str(why, "no tmp/ subdirectory", "reason names tmp/") ;
}

static void scan (void)
{
  maildir_list_t l = MAILDIR_LIST_ZERO ;
  struct utimbuf ut = { .actime = 1500000000, .modtime = 1500000000 } ;
  maildir_msg_t const *m ;
  put("md/new/1700000002.M1P1.host") ;
  put("md/cur/1700000001.M1P1.host:2,S") ;
  put("md/new/1700000001.M0P1.host") ;
  put("md/new/1700000001.M9P1.host") ;
  put("md/cur/noname") ;
  if (utime("md/cur/noname", &ut) == -1) { perror("utime") ; exit(111) ; }
  put("md/new/.hidden") ;
  put("md/tmp/1000.M1P1.host") ;
  mkdir("md/new/1000.subdir", 0700) ;
  symlink("nowhere", "md/cur/1000.dangling") ;
  symlink("../new/1700000002.M1P1.host", "md/cur/1800000000.link") ;

  ok(maildir_scan(&l, "md"), "scan") ;
  is(maildir_list_len(&l), 6, "six messages: no dotfile, tmp/, directory or dangling link") ;
  m = maildir_list_msg(&l, 0) ;
  is_str(m->path, "md/cur/noname", "a name without time sorts by its mtime") ;
  is(m->time, 1500000000, "mtime used") ;
  is_str(m->name, "noname", "name points into path") ;
  ok(m->cur, "in cur/") ;
  is_str(maildir_list_msg(&l, 1)->name, "1700000001.M0P1.host", "equal times sort by name") ;
  is_str(maildir_list_msg(&l, 2)->name, "1700000001.M1P1.host:2,S", "across new/ and cur/") ;
  ok(maildir_list_msg(&l, 2)->cur && !maildir_list_msg(&l, 1)->cur, "cur flag per directory") ;
  is_str(maildir_list_msg(&l, 3)->name, "1700000001.M9P1.host", "third of the same second") ;
  is_str(maildir_list_msg(&l, 4)->path, "md/new/1700000002.M1P1.host", "later message") ;
  is(maildir_list_msg(&l, 4)->time, 1700000002, "time from the name") ;
  is_str(maildir_list_msg(&l, 5)->name, "1800000000.link", "a link to a file is a message") ;

  unlink("md/cur/noname") ;
  unlink("md/cur/1800000000.link") ;
  ok(maildir_scan(&l, "md"), "rescan into the same list") ;
  is(maildir_list_len(&l), 4, "previous content dropped") ;
  is_str(maildir_list_msg(&l, 0)->path, "md/new/1700000001.M0P1.host", "first after rescan") ;

  errno = 0 ;
  ok(!maildir_scan(&l, "absent") && errno == ENOENT, "scan of a missing Maildir fails with ENOENT") ;
  ok(maildir_scan(&l, "partial") == 0, "scan of a Maildir without cur/ fails") ;
  maildir_list_free(&l) ;

  mkdirs("empty") ;
  ok(maildir_scan(&l, "empty") && maildir_list_len(&l) == 0, "empty Maildir") ;
  maildir_list_free(&l) ;
  ok(maildir_syncdir("md/new"), "syncdir") ;
  ok(!maildir_syncdir("absent"), "syncdir of a missing directory fails") ;
  ok(!maildir_syncdir("plain"), "syncdir of a file fails") ;
}

int main (void)
{
  char dir[] = "/tmp/qm-maildir-XXXXXX" ;
  if (!mkdtemp(dir) || chdir(dir) == -1) return 111 ;
  mkdirs("md") ;
  names() ;
  check() ;
  scan() ;
  if (chdir("/") == -1 || rm_rf(dir) == -1) perror(dir) ;
  return tap_done() ;
}
