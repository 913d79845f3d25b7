/* qmail-inject: read a message on fd 0, complete and rewrite its header (qmail-header(5)), and
   hand it to $QMAILQUEUE or $QMAILHOME/bin/qmail-queue: the message on the child's fd 0, the
   envelope on its fd 1, both pipes. With -n, print the message on fd 1 instead.
   Exit codes: 0 queued; 100 usage, unparsable header, no recipient, address too long, or a
   permanent qmail-queue code; 111 temporary (control files, system errors, qmail-queue's codes). */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/random.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/skamisc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "addrlist.h"
#include "control.h"
#include "envelope.h"
#include "exitcode.h"
#include "home.h"
#include "qmail-inject-core.h"
#include "qqspawn.h"

#define USAGE "qmail-inject [ -nNaAhH ] [ -f sender ] [ recip ... ]"
#define dienomem() strerr_diefusys(111, "allocate memory")

extern char **environ ;

#define R_ARGS 1     /* recipients from the arguments */
#define R_HEADER 2   /* recipients from the header */

typedef struct opts_s opts_t ;
struct opts_s
{
  unsigned int from ;    /* R_ARGS, R_HEADER, both; 0 (-A): the arguments if any, else the header */
  int print ;            /* -n */
  char const *sender ;   /* -f, or 0 */
  char const *letters ;  /* $QMAILINJECT */
} ;

typedef struct conf_s conf_t ;
struct conf_s
{
  stralloc defaulthost, defaultdomain, plusdomain, idhost ;
  stralloc mft ;         /* $QMAILMFTFILE's addresses, each NUL-terminated */
} ;
#define CONF_ZERO { STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO, STRALLOC_ZERO }

static void conf_free (conf_t *c)
{
  stralloc_free(&c->defaulthost) ;
  stralloc_free(&c->defaultdomain) ;
  stralloc_free(&c->plusdomain) ;
  stralloc_free(&c->idhost) ;
  stralloc_free(&c->mft) ;
}

static char const *firstenv (char const *const *names)
{
  for (; *names ; names++)
  {
    char const *v = getenv(*names) ;
    if (v && *v) return v ;
  }
  return 0 ;
}

static int letter (opts_t const *o, char c)
{
  return o->letters && strchr(o->letters, c) ;
}

static char const *const *parseopts (int argc, char const *const *argv, opts_t *o)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "nNaAhHf:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'n' : o->print = 1 ; break ;
      case 'N' : o->print = 0 ; break ;
      case 'a' : o->from = R_ARGS ; break ;
      case 'A' : o->from = 0 ; break ;
      case 'h' : o->from = R_HEADER ; break ;
      case 'H' : o->from = R_ARGS | R_HEADER ; break ;
      case 'f' : o->sender = l.arg ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  o->letters = getenv("QMAILINJECT") ;
  return argv + l.ind ;
}

static int validhost (stralloc const *sa)
{
  if (!sa->len) return 0 ;
  for (size_t i = 0 ; i < sa->len ; i++)
  {
    unsigned char c = sa->s[i] ;
    if (c <= ' ' || c == 127 || c == '@') return 0 ;
  }
  return 1 ;
}

/* A host from $qenv (qmail's name), else control/name, else control/me, else the literal name.
   An empty value, or one with blanks, controls or '@', is malformed. */
static void readhost (stralloc *sa, char const *name, char const *qenv)
{
  char const *e = home_env_trusted() ? getenv(qenv) : 0 ;
  int r = CONTROL_ENV ;
  if (e && *e) { if (!stralloc_copys(sa, e) || !stralloc_0(sa)) dienomem() ; sa->len-- ; }
  else if ((r = control_readline(sa, name, name, CONTROL_ENVOK | CONTROL_ME)) < 0) control_die(name, r) ;
  if (validhost(sa)) return ;
  if (e && *e) strerr_dief(111, "malformed value in $", qenv) ;
  errno = EINVAL ;
  if (r == CONTROL_DEFAULT) control_die("me", CONTROL_ERR_FILE) ;  /* the literal default is valid */
  control_die(name, r == CONTROL_ENV ? CONTROL_ERR_ENV : CONTROL_ERR_FILE) ;
}

/* $QMAILMFTFILE is read before the chdir: it names a file of the user's. */
static void readmft (stralloc *mft)
{
  char const *fn = getenv("QMAILMFTFILE") ;
  size_t out = 0 ;
  if (!fn || !*fn) return ;
  if (!openslurpclose(mft, fn)) strerr_diefusys(111, "read $QMAILMFTFILE ", fn) ;
  for (size_t i = 0 ; i < mft->len ; )
  {
    size_t start = i, end ;
    while (i < mft->len && mft->s[i] != '\n') i++ ;
    end = i++ ;
    while (start < end && (mft->s[start] == ' ' || mft->s[start] == '\t')) start++ ;
    while (end > start && strchr(" \t\r", mft->s[end - 1])) end-- ;
    if (start == end) continue ;
    memmove(mft->s + out, mft->s + start, end - start) ;
    out += end - start ;
    mft->s[out++] = 0 ;
  }
  mft->len = out ;
}

static void readconf (conf_t *c, inject_hosts_t *h)
{
  stralloc host = STRALLOC_ZERO ;
  readhost(&c->defaultdomain, "defaultdomain", "QMAILDEFAULTDOMAIN") ;
  readhost(&c->plusdomain, "plusdomain", "QMAILPLUSDOMAIN") ;
  readhost(&host, "defaulthost", "QMAILDEFAULTHOST") ;
  readhost(&c->idhost, "idhost", "QMAILIDHOST") ;
  h->defaultdomain = c->defaultdomain.s ;
  h->plusdomain = c->plusdomain.s ;
  if (!inject_qualify(&c->defaulthost, host.s, host.len, h) || !stralloc_0(&c->defaulthost)) dienomem() ;
  h->defaulthost = c->defaulthost.s ;
  stralloc_free(&host) ;
}

static void field (inject_t *ij, stralloc const *f)
{
  int r = inject_field(ij, f->s, f->len) ;
  if (!r) dienomem() ;
  if (r < 0)
  {
    char name[64] ;
    size_t n = inject_fieldname(f->s, f->len) ;
    if (n >= sizeof name) n = sizeof name - 1 ;
    memcpy(name, f->s, n) ;
    name[n] = 0 ;
    strerr_dief(100, "unable to parse header field ", name, ": ", addrlist_errstr(r)) ;
  }
}

/* Header fields up to a blank line, a line that is no field (the body starts there), or the end
   of the input. sep gets the blank line that ends the header as it was (LF or CRLF), or "\n"
   when there was none, then that first body line. */
static void readheader (inject_t *ij, stralloc *sep)
{
  stralloc line = STRALLOC_ZERO, f = STRALLOC_ZERO ;
  if (!stralloc_copys(sep, "\n")) dienomem() ;
  for (;;)
  {
    int r ;
    line.len = 0 ;
    r = skagetln(buffer_0, &line, '\n') ;
    if (r < 0 && errno != EPIPE) strerr_diefusys(111, "read message") ;
    if (!line.len) break ;
    if (f.len && (line.s[0] == ' ' || line.s[0] == '\t'))
    {
      if (!stralloc_cat(&f, &line)) dienomem() ;
      continue ;
    }
    if (f.len) field(ij, &f) ;
    f.len = 0 ;
    if ((line.len == 1 && line.s[0] == '\n') || (line.len == 2 && line.s[0] == '\r' && line.s[1] == '\n'))
    {
      if (!stralloc_copy(sep, &line)) dienomem() ;
      break ;
    }
    if (!inject_fieldname(line.s, line.len)) { if (!stralloc_cat(sep, &line)) dienomem() ; break ; }
    if (!stralloc_copy(&f, &line)) dienomem() ;
  }
  if (f.len) field(ij, &f) ;
  stralloc_free(&line) ;
  stralloc_free(&f) ;
}

static void addrcpt (inject_rcpts_t *rcpts, char const *addr)
{
  if (strlen(addr) > ENVELOPE_ADDRMAX) strerr_dief(100, "address too long: ", addr) ;
  if (!inject_rcpts_add(rcpts, addr)) dienomem() ;
}

static void addargs (inject_rcpts_t *rcpts, inject_t *ij, char const *const *args)
{
  stralloc a = STRALLOC_ZERO ;
  for (; *args ; args++)
  {
    int r = addrlist_parse(&ij->al, *args, strlen(*args)) ;
    if (r == ADDRLIST_ENOMEM) dienomem() ;
    if (r) strerr_dief(100, "unable to parse recipient ", *args, ": ", addrlist_errstr(r)) ;
    for (size_t i = 0 ; i < addrlist_n(&ij->al) ; i++)
    {
      addrlist_addr_t const *x = addrlist_get(&ij->al, i) ;
      if (x->angle && !x->textlen) continue ;
      a.len = 0 ;
      if (!inject_address(&a, &ij->al, x, &ij->hosts)) dienomem() ;
      addrcpt(rcpts, a.s) ;
    }
  }
  stralloc_free(&a) ;
}

static void recipients (inject_rcpts_t *rcpts, inject_t *ij, opts_t const *o, char const *const *args)
{
  unsigned int from = o->from ? o->from : *args ? R_ARGS : R_HEADER ;
  stralloc const *h = ij->seen & INJECT_SEEN_RESENT ? &ij->resentrcpts : &ij->rcpts ;
  if (from & R_HEADER)
    for (size_t i = 0 ; i < h->len ; i += strlen(h->s + i) + 1) addrcpt(rcpts, h->s + i) ;
  if (from & R_ARGS) addargs(rcpts, ij, args) ;
}

/* The default From address, user@host, from the environment qmail-inject(8) lists. */
static void fromaddr (stralloc *from, inject_hosts_t const *h)
{
  static char const *const users[] = { "QMAILUSER", "MAILUSER", "USER", "LOGNAME", 0 } ;
  static char const *const hosts[] = { "QMAILHOST", "MAILHOST", 0 } ;
  char const *user = firstenv(users), *host = firstenv(hosts) ;
  if (!user)
  {
    struct passwd const *pw = getpwuid(getuid()) ;
    user = pw ? pw->pw_name : "anonymous" ;
  }
  if (!stralloc_copys(from, user) || !stralloc_catb(from, "@", 1)) dienomem() ;
  if (!(host ? inject_qualify(from, host, strlen(host), h) : stralloc_cats(from, h->defaulthost))) dienomem() ;
  if (!stralloc_0(from)) dienomem() ;
}

/* -f, else Return-Path (unless letter s), else QMAILSUSER@QMAILSHOST defaulting to the From
   address's parts; then the VERP letters. */
static void envsender (stralloc *sender, stralloc const *from, inject_t *ij, opts_t const *o, time_t now)
{
  stralloc s = STRALLOC_ZERO ;
  char const *suser = getenv("QMAILSUSER"), *shost = getenv("QMAILSHOST") ;
  char const *at = strrchr(from->s, '@') ;
  if (o->sender)
  {
    int r = addrlist_parse(&ij->al, o->sender, strlen(o->sender)) ;
    if (r == ADDRLIST_ENOMEM) dienomem() ;
    if (r) strerr_dief(100, "unable to parse sender ", o->sender, ": ", addrlist_errstr(r)) ;
    if (!(addrlist_n(&ij->al) ? inject_address(&s, &ij->al, addrlist_get(&ij->al, 0), &ij->hosts) : stralloc_0(&s))) dienomem() ;
  }
  else if (ij->seen & INJECT_SEEN_RETURNPATH && !letter(o, 's'))
  {
    if (!stralloc_copy(&s, &ij->returnpath)) dienomem() ;
  }
  else
  {
    if (!(suser && *suser ? stralloc_cats(&s, suser) : stralloc_catb(&s, from->s, at - from->s))) dienomem() ;
    if (!stralloc_catb(&s, "@", 1)) dienomem() ;
    if (!(shost && *shost ? inject_qualify(&s, shost, strlen(shost), &ij->hosts) : stralloc_cats(&s, at + 1))) dienomem() ;
    if (!stralloc_0(&s)) dienomem() ;
  }
  if (!inject_verp(sender, s.s, letter(o, 'm'), letter(o, 'r'), now, getpid())) dienomem() ;
  if (strlen(sender->s) > ENVELOPE_ADDRMAX) strerr_dief(100, "address too long: ", sender->s) ;
  stralloc_free(&s) ;
}

/* The fields qmail-inject adds: the Resent- ones go on top of a resent message, others below. */
static void addfields (stralloc *top, stralloc *bottom, inject_t const *ij, conf_t const *c, opts_t const *o, stralloc const *from, time_t now)
{
  static char const *const names[] = { "QMAILNAME", "MAILNAME", "NAME", 0 } ;
  int resent = !!(ij->seen & INJECT_SEEN_RESENT) ;
  unsigned int seen = ij->seen ;
  stralloc *sa = resent ? top : bottom ;
  char unique[17] ;
  random_name(unique, sizeof unique - 1) ;
  unique[sizeof unique - 1] = 0 ;
  if (!(seen & (resent ? INJECT_SEEN_RDATE : INJECT_SEEN_DATE))
   && !inject_datefield(sa, resent ? "Resent-Date" : "Date", now)) strerr_diefusys(111, "format the date") ;
  if (!(seen & (resent ? INJECT_SEEN_RMSGID : INJECT_SEEN_MSGID))
   && !inject_msgidfield(sa, resent ? "Resent-Message-ID" : "Message-ID", now, getpid(), unique, c->idhost.s)) dienomem() ;
  if (!(seen & (resent ? INJECT_SEEN_RFROM : INJECT_SEEN_FROM))
   && !inject_fromfield(sa, resent ? "Resent-From" : "From", from->s, firstenv(names), letter(o, 'c'))) dienomem() ;
  if (!(seen & (resent ? INJECT_SEEN_RTOCC : INJECT_SEEN_TOCC))
   && !stralloc_cats(sa, resent ? "Resent-Cc: recipient list not shown: ;\n" : "Cc: recipient list not shown: ;\n")) dienomem() ;
  if (!resent && !(seen & INJECT_SEEN_MFT) && c->mft.len)
  {
    int listed = 0 ;
    for (size_t i = 0 ; i < ij->tocc.len ; i += strlen(ij->tocc.s + i) + 1)
      if (inject_inlist(c->mft.s, c->mft.len, ij->tocc.s + i)) listed = 1 ;
    if (listed && !inject_listfield(sa, "Mail-Followup-To", ij->tocc.s, ij->tocc.len)) dienomem() ;
  }
}

/* head, then the rest of fd 0, to fd. 0 when all went well, else 'r' (errno set) or 'w'. */
static int writemessage (int fd, stralloc const *head)
{
  char buf[BUFFER_OUTSIZE] ;
  buffer out = BUFFER_INIT(&buffer_write, fd, buf, sizeof buf) ;
  if (!buffer_putall(&out, head->s, head->len, &(size_t){ 0 })) return 'w' ;
  for (;;)
  {
    struct iovec v[2] ;
    ssize_t r ;
    buffer_rpeek(buffer_0, v) ;
    for (int i = 0 ; i < 2 ; i++)
      if (v[i].iov_len && !buffer_putall(&out, v[i].iov_base, v[i].iov_len, &(size_t){ 0 })) return 'w' ;
    buffer_rseek(buffer_0, v[0].iov_len + v[1].iov_len) ;
    r = buffer_fill(buffer_0) ;
    if (r < 0) return 'r' ;
    if (!r) break ;
  }
  return buffer_flush(&out) ? 0 : 'w' ;
}

static pid_t spawnqueue (int *msgfd, int *envfd)
{
  pid_t pid = qq_spawn(msgfd, envfd, 0) ;
  if (pid < 0)
  {
    stralloc sa = STRALLOC_ZERO ;
    char const *qq = qq_program(&sa) ;
    strerr_diefusys(111, "run ", qq ? qq : "qmail-queue") ;
  }
  return pid ;
}

static void printmessage (stralloc const *head)
{
  int w = writemessage(1, head) ;
  if (w) strerr_diefusys(111, w == 'r' ? "read message" : "write message") ;
}

/* The envelope goes only after the whole message: qmail-queue commits nothing without it. */
static void queue (stralloc const *head, stralloc const *sender, stralloc const *rcpts)
{
  stralloc env = STRALLOC_ZERO ;
  int msgfd, envfd, wstat, w, readerr = 0 ;
  char fmt[INT_FMT] ;
  pid_t pid ;
  if (!envelope_start(&env, sender->s)) dienomem() ;
  for (size_t i = 0 ; i < rcpts->len ; i += strlen(rcpts->s + i) + 1)
    if (!envelope_addrcpt(&env, rcpts->s + i)) dienomem() ;
  if (!envelope_finish(&env)) dienomem() ;
  pid = spawnqueue(&msgfd, &envfd) ;
  w = writemessage(msgfd, head) ;
  if (w == 'r') readerr = errno ;
  close(msgfd) ;
  if (!w && allwrite(envfd, env.s, env.len) < env.len) w = 'w' ;
  close(envfd) ;
  if (wait_pid(pid, &wstat) != pid) strerr_diefusys(111, "wait for qmail-queue") ;
  if (readerr) errno = readerr, strerr_diefusys(111, "read message") ;
  if (WIFSIGNALED(wstat))
  {
    fmt[int_fmt(fmt, WTERMSIG(wstat))] = 0 ;
    strerr_dief(111, "qmail-queue crashed with signal ", fmt) ;
  }
  if (WEXITSTATUS(wstat))
  {
    int code = WEXITSTATUS(wstat) ;
    fmt[int_fmt(fmt, code)] = 0 ;
    strerr_dief(exitcode_permanent(code) ? 100 : 111, "qmail-queue: ", exitreply_qq(code)->text, " (#", fmt, ")") ;
  }
  if (w) strerr_dief(111, "qmail-queue exited 0 before reading the whole message") ;
  stralloc_free(&env) ;
}

int main (int argc, char const *const *argv)
{
  opts_t o = { 0 } ;
  conf_t c = CONF_ZERO ;
  inject_t ij = INJECT_ZERO ;
  stralloc head = STRALLOC_ZERO, bottom = STRALLOC_ZERO, body = STRALLOC_ZERO ;
  stralloc from = STRALLOC_ZERO, sender = STRALLOC_ZERO ;
  inject_rcpts_t rcpts = INJECT_RCPTS_ZERO ;
  time_t now = time(0) ;
  PROG = "qmail-inject" ;
  if (!argc) strerr_dieusage(100, USAGE) ;
  argv = parseopts(argc, argv, &o) ;
  if (!fd_sanitize()) strerr_diefusys(111, "open the standard file descriptors") ;
  if (!sig_ignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
  sig_restore(SIGCHLD) ;   /* a caller that ignored it would make qmail-queue's exit code vanish */
  readmft(&c.mft) ;
  home_chdir() ;
  readconf(&c, &ij.hosts) ;
  if (letter(&o, 'f')) ij.flags |= INJECT_DELFROM ;
  if (letter(&o, 'i')) ij.flags |= INJECT_DELMSGID ;
  readheader(&ij, &body) ;
  recipients(&rcpts, &ij, &o, argv) ;
  fromaddr(&from, &ij.hosts) ;
  envsender(&sender, &from, &ij, &o, now) ;
  addfields(&head, &bottom, &ij, &c, &o, &from, now) ;
  if (!stralloc_cat(&head, &ij.header) || !stralloc_cat(&head, &bottom) || !stralloc_cat(&head, &body)) dienomem() ;
  if (o.print) printmessage(&head) ;
  else if (!rcpts.n) strerr_dief(100, "no recipients") ;
  else queue(&head, &sender, &rcpts.list) ;
  stralloc_free(&head) ; stralloc_free(&bottom) ; stralloc_free(&body) ;
  stralloc_free(&from) ; stralloc_free(&sender) ;
  inject_rcpts_free(&rcpts) ;
  inject_free(&ij) ;
  conf_free(&c) ;
  return 0 ;
}
