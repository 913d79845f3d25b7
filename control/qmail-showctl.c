/* qmail-showctl: every control file, its effective value, where the value comes from (the file,
   the default, or the environment variable that overrides it: the environment qmail-showctl
   itself runs in, so `envdir ./env qmail-showctl` shows what a service sees), who reads it,
   and what it means. Then any file in control/ that no program reads (a typo?).
   No input; the report on fd 1. Exit codes: 0, 100 usage, 111 a file that cannot be read. */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <skalibs/buffer.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "control.h"
#include "home.h"

#define USAGE "qmail-showctl"
#define LISTSHOW 6   /* list items shown */

enum kind { K_LINE, K_NUM, K_LIST, K_FILE } ;

typedef struct ctl_s ctl_t ;
struct ctl_s
{
  char const *name ;
  enum kind kind ;
  unsigned int flags ;     /* CONTROL_ENVOK, CONTROL_ME */
  char const *def ;        /* default of a line, or of a number in decimal */
  char const *qenv ;       /* qmail-inject's own variable, checked first, or 0 */
  char const *readers ;
  char const *meaning ;
} ;

#define E CONTROL_ENVOK
#define M CONTROL_ME
static ctl_t const table[] =
{
  { "me", K_LINE, 0, "localhost", 0, "every program", "the name of this host; the default of many files below" },
  { "locals", K_LIST, 0, 0, 0, "qmail-send, qmail-todo, qmail-smtpd", "domains delivered locally" },
  { "virtualdomains", K_LIST, 0, 0, 0, "qmail-send, qmail-todo, qmail-smtpd", "domain:prefix, delivered locally as prefix-user" },
  { "percenthack", K_LIST, 0, 0, 0, "qmail-send, qmail-todo", "domains where user%host@domain means user@host" },
  { "envnoathost", K_LINE, M, "envnoathost", 0, "qmail-send, qmail-todo", "domain added to a recipient without @" },
  { "concurrencylocal", K_NUM, 0, "10", 0, "qmail-send", "simultaneous local deliveries" },
  { "concurrencyremote", K_NUM, 0, "20", 0, "qmail-send", "simultaneous remote deliveries" },
  { "queuelifetime", K_NUM, 0, "604800", 0, "qmail-send", "seconds a message may stay queued before it bounces" },
  { "bouncefrom", K_LINE, 0, "MAILER-DAEMON", 0, "qmail-send", "local part of the sender of bounces" },
  { "bouncehost", K_LINE, M, "localhost", 0, "qmail-send", "host part of the sender of bounces" },
  { "bouncemaxbytes", K_NUM, 0, "50000", 0, "qmail-send", "bytes of the original message kept in a bounce" },
  { "doublebounceto", K_LINE, 0, "postmaster", 0, "qmail-send", "where double bounces go (empty: discarded)" },
  { "doublebouncehost", K_LINE, M, "localhost", 0, "qmail-send", "host part of doublebounceto" },
  { "defaultdomain", K_LINE, E | M, "defaultdomain", "QMAILDEFAULTDOMAIN", "qmail-inject", "added to a host without a dot" },
  { "defaulthost", K_LINE, E | M, "defaulthost", "QMAILDEFAULTHOST", "qmail-inject", "added to an address without @" },
  { "plusdomain", K_LINE, E | M, "plusdomain", "QMAILPLUSDOMAIN", "qmail-inject", "replaces a final + in a host" },
  { "idhost", K_LINE, E | M, "idhost", "QMAILIDHOST", "qmail-inject", "host part of added Message-IDs" },
  { "smtpgreeting", K_LINE, E | M, "localhost", 0, "qmail-smtpd", "text of the 220 greeting" },
  { "rcpthosts", K_LIST, 0, 0, 0, "qmail-smtpd", "domains (or .domain) qmail-smtpd accepts mail for" },
  { "morercpthosts", K_LIST, 0, 0, 0, "qmail-newmrh", "more of them: compile with qmail-newmrh" },
  { "morercpthosts.cdb", K_FILE, 0, 0, 0, "qmail-smtpd", "compiled morercpthosts" },
  { "badmailfrom", K_LIST, 0, 0, 0, "qmail-smtpd", "envelope senders refused (address or @domain)" },
  { "databytes", K_NUM, E, "0", 0, "qmail-smtpd, qmail-qmqpd", "largest message accepted, 0: no limit" },
  { "timeoutsmtpd", K_NUM, E, "1200", 0, "qmail-smtpd, qmail-qmqpd", "seconds to wait for the client" },
  { "maxrcpt", K_NUM, E, "10000", 0, "qmail-smtpd", "recipients per message" },
  { "rcptcheck", K_NUM, E, "1", 0, "qmail-smtpd", "1: refuse local recipients that cannot exist at RCPT time" },
  { "localiphost", K_LINE, M, "localhost", 0, "qmail-smtpd", "replaces our own [IP] in recipients" },
  { "authnotls", K_NUM, E, "0", 0, "qmail-smtpd", "1: offer AUTH without TLS" },
  { "authrequired", K_NUM, E, "0", 0, "qmail-smtpd", "1: no MAIL before AUTH (submission)" },
  { "servercert.pem", K_FILE, 0, 0, 0, "qmail-tls", "TLS certificate chain (and key)" },
  { "serverkey.pem", K_FILE, 0, 0, 0, "qmail-tls", "TLS key, when apart from the certificate" },
  { "tcp.smtp", K_FILE, 0, 0, 0, "tcprules, for service/smtpd", "who may relay (RELAYCLIENT)" },
  { "tcp.smtp.cdb", K_FILE, 0, 0, 0, "tcpserver", "compiled tcp.smtp" },
  { "tcp.submission", K_FILE, 0, 0, 0, "tcprules, for service/submission", "submission clients (AUTHREQUIRED)" },
  { "tcp.submission.cdb", K_FILE, 0, 0, 0, "tcpserver", "compiled tcp.submission" },
  { "tcp.pop3", K_FILE, 0, 0, 0, "tcprules, for service/pop3d", "POP3 clients" },
  { "tcp.pop3.cdb", K_FILE, 0, 0, 0, "tcpserver", "compiled tcp.pop3" },
  { "smtproutes", K_LIST, 0, 0, 0, "qmail-remote", "domain:relay[:port] routes, bypassing MX" },
  { "helohost", K_LINE, E | M, "localhost", 0, "qmail-remote", "name given in EHLO/HELO" },
  { "timeoutconnect", K_NUM, E, "60", 0, "qmail-remote, qmail-qmqpc", "seconds to wait for a TCP connection" },
  { "timeoutremote", K_NUM, E, "1200", 0, "qmail-remote, qmail-qmqpc", "seconds to wait for the peer" },
  { "tlspolicy", K_LIST, 0, 0, 0, "qmail-remote", "domain:none|may|encrypt|verify, STARTTLS per recipient domain (default may)" },
  { "tlsca", K_FILE, 0, 0, 0, "qmail-remote", "CA file that verify trusts instead of the system store" },
  { "smtpauth", K_FILE, 0, 0, 0, "qmail-remote", "relay:user:password for AUTH to a smarthost (never shown; mode 0600, qmailr)" },
  { "qmqpservers", K_LIST, 0, 0, 0, "qmail-qmqpc", "QMQP servers, tried in order" },
  { "timeoutpop3d", K_NUM, E, "1200", 0, "qmail-popup, qmail-pop3d", "seconds to wait for the POP3 client" },
  { "pop3authnotls", K_NUM, E, "1", 0, "qmail-popup", "0: no USER/PASS or APOP before STLS" },
} ;
#undef E
#undef M
#define NTABLE (sizeof table / sizeof *table)

static buffer *out ;

static void put (char const *s)
{
  if (buffer_puts(out, s) < 0) strerr_diefusys(111, "write to stdout") ;
}

static void source (int r, ctl_t const *c)
{
  char env[64] ;
  switch (r)
  {
    case CONTROL_FILE : put(" (control/") ; put(c->name) ; put(")") ; break ;
    case CONTROL_ENV :
      control_envname(env, sizeof env, c->name) ;
      put(" (from $") ; put(env) ; put(")") ;
      break ;
    default : put(c->flags & CONTROL_ME ? " (default: control/me, else " : " (default") ;
      if (c->flags & CONTROL_ME) { put(c->def) ; put(")") ; } else put(")") ;
  }
}

static void showlist (ctl_t const *c, stralloc *sa)
{
  size_t n ;
  char fmt[SIZE_FMT] ;
  int r = control_readlist(sa, &n, c->name) ;
  char const *x = sa->s ;
  if (r < 0) control_die(c->name, r) ;
  fmt[size_fmt(fmt, n)] = 0 ;
  put(fmt) ; put(n == 1 ? " entry" : " entries") ;
  for (size_t i = 0 ; i < n && i < LISTSHOW ; i++, x += strlen(x) + 1) { put(i ? ", " : ": ") ; put(x) ; }
  if (n > LISTSHOW) put(", ...") ;
  if (r == CONTROL_DEFAULT) put(" (no file)") ;
}

static void showfile (ctl_t const *c)
{
  struct stat st ;
  char path[80] = "control/" ;
  char fmt[UINT64_FMT], mode[UINT_FMT] ;
  strncat(path, c->name, sizeof path - 9) ;
  if (stat(path, &st) < 0)
  {
    if (errno != ENOENT) strerr_diefusys(111, "stat ", path) ;
    put("absent") ;
    return ;
  }
  fmt[uint64_fmt(fmt, (uint64_t)st.st_size)] = 0 ;
  mode[uint_ofmt(mode, st.st_mode & 07777)] = 0 ;
  put("present, ") ; put(fmt) ; put(" bytes, mode 0") ; put(mode) ;
}

static void show (ctl_t const *c, stralloc *sa)
{
  int r ;
  put(c->name) ; put(": ") ;
  if (c->qenv && getenv(c->qenv) && *getenv(c->qenv)) { put(getenv(c->qenv)) ; put(" (from $") ; put(c->qenv) ; put(")") ; }
  else switch (c->kind)
  {
    case K_LINE :
      r = control_readline(sa, c->name, c->def, c->flags) ;
      if (r < 0) control_die(c->name, r) ;
      put(sa->len ? sa->s : "(empty)") ;
      source(r, c) ;
      break ;
    case K_NUM :
    {
      unsigned long u, def ;
      char fmt[ULONG_FMT] ;
      ulong_scan(c->def, &def) ;
      r = control_readulong(&u, c->name, def, c->flags) ;
      if (r < 0) control_die(c->name, r) ;
      fmt[ulong_fmt(fmt, u)] = 0 ;
      put(fmt) ;
      source(r, c) ;
      break ;
    }
    case K_LIST : showlist(c, sa) ; break ;
    case K_FILE : showfile(c) ; break ;
  }
  put("\n    ") ; put(c->meaning) ; put("; read by ") ; put(c->readers) ;
  if (c->qenv) { put("; override $") ; put(c->qenv) ; }
  if (c->flags & CONTROL_ENVOK)
  {
    char env[64] ;
    control_envname(env, sizeof env, c->name) ;
    put(c->qenv ? ", then $" : "; override $") ; put(env) ;
  }
  put("\n") ;
}

/* Files in control/ that no program reads. */
static void strangers (void)
{
  DIR *d = opendir("control") ;
  struct dirent *e ;
  int first = 1 ;
  if (!d) { if (errno != ENOENT) strerr_diefusys(111, "open control/") ; return ; }
  while ((e = readdir(d)))
  {
    size_t i = 0 ;
    if (e->d_name[0] == '.') continue ;
    while (i < NTABLE && strcmp(table[i].name, e->d_name)) i++ ;
    if (i < NTABLE || !strcmp(e->d_name, "morercpthosts.tmp")) continue ;
    if (first) put("\nfiles in control/ that no program reads (a typo?):\n") ;
    first = 0 ;
    put("  ") ; put(e->d_name) ; put("\n") ;
  }
  closedir(d) ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  PROG = "qmail-showctl" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  if (argc - l.ind) strerr_dieusage(100, USAGE) ;
  out = buffer_1 ;
  home_chdir() ;
  put("qmail home: ") ; put(home_dir()) ;
  put(home_env_trusted() && getenv("QMAILHOME") ? " (from $QMAILHOME)\n\n" : " (compiled in)\n\n") ;
  for (size_t i = 0 ; i < NTABLE ; i++) show(table + i, &sa) ;
  strangers() ;
  if (!buffer_flush(out)) strerr_diefusys(111, "write to stdout") ;
  stralloc_free(&sa) ;
  return 0 ;
}
