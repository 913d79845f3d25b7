/* Unit tests of lib/control.c: defaults, files, env override, me fallback, malformed values. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "control.h"
#include "../tap.h"

static void put (char const *name, char const *content)
{
  char path[256] = "control/" ;
  strcat(path, name) ;
  if (!openwritenclose_unsafe(path, content, strlen(content))) { perror(path) ; exit(111) ; }
}

int main (void)
{
  char dir[] = "/tmp/qm-control-XXXXXX" ;
  stralloc sa = STRALLOC_ZERO ;
  unsigned long u = 0 ;
  size_t n = 0 ;
  if (!mkdtemp(dir) || chdir(dir) == -1 || mkdir("control", 0755) == -1) return 111 ;
  unsetenv("DATABYTES") ; unsetenv("SMTPGREETING") ;

  is(control_readline(&sa, "smtpgreeting", "dflt", CONTROL_ENVOK), CONTROL_DEFAULT, "missing file gives the default") ;
  is_str(sa.s, "dflt", "default value") ;
  is(control_readline(&sa, "smtpgreeting", 0, CONTROL_ME), CONTROL_DEFAULT, "missing file and me: empty default") ;
  is(sa.len, 0, "empty") ;
  put("me", "mail.example.org\n") ;
  is(control_readline(&sa, "smtpgreeting", "dflt", CONTROL_ME), CONTROL_DEFAULT, "falls back to me") ;
  is_str(sa.s, "mail.example.org", "me value") ;
  put("smtpgreeting", "  hello there \t\r\nsecond line\n") ;
  is(control_readline(&sa, "smtpgreeting", 0, CONTROL_ME | CONTROL_ENVOK), CONTROL_FILE, "file wins over me") ;
  is_str(sa.s, "hello there", "first line, blanks and CR stripped") ;
  setenv("SMTPGREETING", "from env", 1) ;
  is(control_readline(&sa, "smtpgreeting", 0, CONTROL_ENVOK), CONTROL_ENV, "env overrides the file") ;
  is_str(sa.s, "from env", "env value") ;
  is(control_readline(&sa, "smtpgreeting", 0, 0), CONTROL_FILE, "no override without CONTROL_ENVOK") ;
  put("plain", "no newline") ;
  is(control_readline(&sa, "plain", 0, 0), CONTROL_FILE, "missing final newline") ;
  is_str(sa.s, "no newline", "value without newline") ;

  is(control_readulong(&u, "databytes", 7, CONTROL_ENVOK), CONTROL_DEFAULT, "number default") ;
  is(u, 7, "number default value") ;
  put("databytes", "10485760\n") ;
  is(control_readulong(&u, "databytes", 7, CONTROL_ENVOK), CONTROL_FILE, "number from file") ;
  is(u, 10485760, "number value") ;
  setenv("DATABYTES", "123", 1) ;
  is(control_readulong(&u, "databytes", 7, CONTROL_ENVOK), CONTROL_ENV, "number from env") ;
  is(u, 123, "env number value") ;
  setenv("DATABYTES", "12x", 1) ;
  errno = 0 ;
  is(control_readulong(&u, "databytes", 7, CONTROL_ENVOK), CONTROL_ERR_ENV, "malformed env number is an error") ;
  is(errno, EINVAL, "EINVAL for malformed env") ;
  unsetenv("DATABYTES") ;
  put("databytes", "ten\n") ;
  is(control_readulong(&u, "databytes", 7, CONTROL_ENVOK), CONTROL_ERR_FILE, "malformed number is an error, not a silent default") ;
  put("databytes", "\n") ;
  is(control_readulong(&u, "databytes", 7, 0), CONTROL_ERR_FILE, "empty number is malformed") ;
  put("databytes", "-1\n") ;
  is(control_readulong(&u, "databytes", 7, 0), CONTROL_ERR_FILE, "negative is malformed") ;
  put("databytes", "99999999999999999999999\n") ;
  is(control_readulong(&u, "databytes", 7, 0), CONTROL_ERR_FILE, "overflow is malformed") ;
  put("databytes", "18446744073709551615") ;
  is(control_readulong(&u, "databytes", 7, 0), CONTROL_FILE, "largest value") ;
  ok(u == 18446744073709551615UL, "largest value scanned") ;

  is(control_readlist(&sa, &n, "rcpthosts"), CONTROL_DEFAULT, "missing list") ;
  is(n, 0, "missing list is empty") ;
  put("rcpthosts", "example.org\n  # comment\n\n .example.net \t\nlast") ;
  is(control_readlist(&sa, &n, "rcpthosts"), CONTROL_FILE, "list from file") ;
  is(n, 3, "three items") ;
  ok(sa.len == 30 && !memcmp(sa.s, "example.org\0.example.net\0last\0", 30), "exact list bytes") ;

  chmod("control/rcpthosts", 0) ;
  if (geteuid())
  {
    is(control_readlist(&sa, &n, "rcpthosts"), CONTROL_ERR_FILE, "unreadable list is an error") ;
    is(control_readline(&sa, "rcpthosts", "x", 0), CONTROL_ERR_FILE, "unreadable line is an error") ;
  }
  mkdir("control/adir", 0755) ;
  is(control_readline(&sa, "adir", "x", 0), CONTROL_ERR_FILE, "a directory is an error") ;

  /* control_list: absent files cost no open; the listing is a snapshot until control_unlist */
  chmod("control/rcpthosts", 0644) ;
  unsetenv("DATABYTES") ;
  ok(control_list(), "control_list") ;
  is(control_readlist(&sa, &n, "rcpthosts"), CONTROL_FILE, "listed: a listed file is read") ;
  is(n, 3, "listed: its items") ;
  is(control_readline(&sa, "smtpgreeting", "dflt", 0), CONTROL_FILE, "listed: smtpgreeting is there") ;
  is(control_readulong(&u, "nosuchfile", 5, 0), CONTROL_DEFAULT, "listed: an unlisted file gets the default") ;
  is(u, 5, "listed: the default value") ;
  put("newfile", "1\n") ;
  is(control_readulong(&u, "newfile", 5, 0), CONTROL_DEFAULT, "listed: a file made after the listing is not seen") ;
  unlink("control/smtpgreeting") ;
  is(control_readline(&sa, "smtpgreeting", "dflt", 0), CONTROL_DEFAULT, "listed: a listed file removed since is missing") ;
  control_unlist() ;
  is(control_readulong(&u, "newfile", 5, 0), CONTROL_FILE, "unlisted: the new file is read") ;
  is(u, 1, "unlisted: its value") ;
  {
    char longname[CONTROL_NAMEMAX + 2] ;
    memset(longname, 'a', sizeof longname - 1) ;
    longname[sizeof longname - 1] = 0 ;
    errno = 0 ;
    is(control_readline(&sa, longname, "x", 0), CONTROL_ERR_FILE, "a name over CONTROL_NAMEMAX is refused") ;
    is(errno, ENAMETOOLONG, "ENAMETOOLONG") ;
  }
  rename("control", "control.away") ;
  ok(!control_list(), "control_list without control/ says so") ;
  is(control_readulong(&u, "newfile", 5, 0), CONTROL_DEFAULT, "and reads go on as without it") ;
  rename("control.away", "control") ;
  is(control_readulong(&u, "newfile", 5, 0), CONTROL_FILE, "a failed listing leaves nothing behind") ;

  {
    char buf[64] ;
    control_envname(buf, sizeof buf, "morercpthosts.cdb") ;
    is_str(buf, "MORERCPTHOSTS_CDB", "env name of a file") ;
  }
  stralloc_free(&sa) ;
  rm_rf(dir) ;
  return tap_done() ;
}
