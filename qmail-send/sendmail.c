/* sendmail: the sendmail command line that mail user agents expect, as qmail provides it:
   translate the options and exec $QMAILHOME/bin/qmail-inject (message on fd 0), or with -bp or
   as mailq exec qmail-qread, with -bs exec qmail-smtpd (SMTP on fds 0 and 1).
   Exit codes: 100 usage; 111 the exec failed; otherwise those of the program it becomes. */
#include <stdlib.h>
#include <string.h>
#include <skalibs/exec.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include "home.h"

#define USAGE "sendmail [ -t ] [ -f sender ] [ -F fullname ] [ -bm | -bp | -bs ] [ -i ] [ -o option ] [ recip ... ]"
#define dienomem() strerr_diefusys(111, "allocate memory")

#define MODE_INJECT 'm'
#define MODE_QUEUE 'p'
#define MODE_SMTP 's'

typedef struct opts_s opts_t ;
struct opts_s
{
  char mode ;
  int header ;           /* -t */
  char const *sender ;   /* -f or -r */
} ;

static char const *basename_ (char const *s)
{
  char const *p = strrchr(s, '/') ;
  return p ? p + 1 : s ;
}

/* Options other MTAs' sendmail take and qmail ignores: -oi, -odi, -oem, -v, -B8BITMIME... */
static char const *const *parseopts (int argc, char const *const *argv, opts_t *o)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "tf:r:F:b:o:ivmxUB:p:e:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 't' : o->header = 1 ; break ;
      case 'f' : case 'r' : o->sender = l.arg ; break ;
      case 'F' : if (setenv("QMAILNAME", l.arg, 1) == -1) dienomem() ; break ;
      case 'b' :
        if (!strchr("mps", l.arg[0]) || l.arg[1]) strerr_dieusage(100, USAGE) ;
        o->mode = l.arg[0] ;
        break ;
      case 'o' : if (!strchr("deimL", l.arg[0])) strerr_dieusage(100, USAGE) ; break ;
      case 'i' : case 'v' : case 'm' : case 'x' : case 'U' : case 'B' : case 'p' : case 'e' : break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  return argv + l.ind ;
}

static void execbin (char const *prog, char const *const *argv)
{
  stralloc path = STRALLOC_ZERO ;
  if (!stralloc_copys(&path, home_dir()) || !stralloc_cats(&path, "/bin/") || !stralloc_cats(&path, prog) || !stralloc_0(&path)) dienomem() ;
  exec_a(path.s, argv) ;
  strerr_diefusys(111, "exec ", path.s) ;
}

int main (int argc, char const *const *argv)
{
  opts_t o = { .mode = MODE_INJECT } ;
  char const **args ;
  size_t n = 0 ;
  PROG = "sendmail" ;
  if (!argc) strerr_dieusage(100, USAGE) ;
  if (!strcmp(basename_(argv[0]), "mailq")) o.mode = MODE_QUEUE ;
  else argv = parseopts(argc, argv, &o) ;
  if (o.mode == MODE_QUEUE) execbin("qmail-qread", (char const *const[]){ "qmail-qread", 0 }) ;
  if (o.mode == MODE_SMTP) execbin("qmail-smtpd", (char const *const[]){ "qmail-smtpd", 0 }) ;
  args = malloc((argc + 6) * sizeof *args) ;
  if (!args) dienomem() ;
  args[n++] = "qmail-inject" ;
  args[n++] = o.header ? "-H" : "-a" ;
  if (o.sender) { args[n++] = "-f" ; args[n++] = o.sender ; }
  args[n++] = "--" ;
  while (*argv) args[n++] = *argv++ ;
  args[n] = 0 ;
  execbin("qmail-inject", args) ;
  return 111 ;
}
