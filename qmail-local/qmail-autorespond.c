/* qmail-autorespond: answer the message on fd 0 with DIR/message, as RFC 3834 recommends, at
   most -n times per sender in -t seconds; for .qmail lines "|qmail-autorespond DIR" (see
   qmail-autorespond(1)). The reply goes through qmail-queue to $SENDER with the null envelope
   sender; DIR/sent/ holds one state file per sender answered.
   fd 1: "qmail-autorespond: qp PID" after a reply; fd 2: why a message was not answered.
   Exit 0 answered or deliberately not, 100 usage or unset variable, 111 temporary failure. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/sgetopt.h>
#include <skalibs/skamisc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include <skalibs/unix-transactional.h>
#include "qmail-autorespond-core.h"
#include "qmail-local-core.h"

#define USAGE "qmail-autorespond [ -a ] [ -t seconds ] [ -n maxpersender ] dir"
#define TMPNAME_FMT (4 + PID_FMT)

typedef struct opts_s opts_t ;
struct opts_s
{
  unsigned long secs ;   /* -t: 7 days, RFC 3834 section 2 */
  unsigned long max ;    /* -n */
  int anyrcpt ;          /* -a */
} ;

typedef struct state_s state_t ;
struct state_s
{
  int sfd ;                           /* DIR/sent */
  char name[AUTORESP_STATENAME] ;     /* the sender's state file */
  char tmp[TMPNAME_FMT] ;             /* "tmp.PID": its next contents, renamed over it */
} ;

static int scanulong (char const *s, unsigned long *u)
{
  size_t n = ulong_scan(s, u) ;
  return n && !s[n] ;
}

static char const *parseopts (int argc, char const *const *argv, opts_t *o)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "at:n:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'a': o->anyrcpt = 1 ; break ;
      case 't': if (!scanulong(l.arg, &o->secs)) strerr_dieusage(100, USAGE) ; break ;
      case 'n': if (!scanulong(l.arg, &o->max) || !o->max) strerr_dieusage(100, USAGE) ; break ;
      default: strerr_dieusage(100, USAGE) ;
    }
  }
  if (argc - l.ind != 1) strerr_dieusage(100, USAGE) ;
  return argv[l.ind] ;
}

static char const *need (char const *name)
{
  char const *x = getenv(name) ;
  if (!x) strerr_dienotset(100, name) ;
  return x ;
}

/* The header of the message on fd 0, up to its empty line (excluded). */
static void readheader (stralloc *sa)
{
  char buf[BUFFER_INSIZE] ;
  buffer b = BUFFER_INIT(&buffer_read, 0, buf, sizeof buf) ;
  for (;;)
  {
    size_t start = sa->len ;
    int r = skagetln(&b, sa, '\n') ;
    if (r < 0 && errno != EPIPE) strerr_diefusys(111, "read the message") ;
    if (r <= 0) return ;  /* end of the message, maybe after a last line without newline */
    if (sa->len - start == 1 || (sa->len - start == 2 && sa->s[start] == '\r'))
    {
      sa->len = start ;
      return ;
    }
  }
}

/* The recipient's addresses into list (each NUL-terminated) and rc: $RECIPIENT, the address
   of $DTLINE, then the lines of DIR/addresses (blank and # lines skipped). */
static void recipients (autoresp_rcpt_t *rc, stralloc *list, genalloc *ptrs, int dfd, char const *dir, char const *recipient)
{
  stralloc file = STRALLOC_ZERO ;
  char const *dt = getenv("DTLINE"), *colon = dt ? strchr(dt, ':') : 0 ;
  size_t i = 0 ;
  if (!stralloc_catb(list, recipient, strlen(recipient) + 1)) strerr_diefusys(111, "store addresses") ;
  rc->nself = 1 ;
  if (colon)
  {
    size_t len = strlen(++colon) ;
    while (*colon == ' ') { colon++ ; len-- ; }
    while (len && (colon[len - 1] == '\n' || colon[len - 1] == ' ')) len-- ;
    if (!stralloc_catb(list, colon, len) || !stralloc_0(list)) strerr_diefusys(111, "store addresses") ;
    rc->nself = 2 ;
  }
  if (!openslurpclose_at(dfd, "addresses", &file) && errno != ENOENT) strerr_diefusys(111, "read ", dir, "/addresses") ;
  while (i < file.len)
  {
    size_t start = i, end ;
    while (i < file.len && file.s[i] != '\n') i++ ;
    end = i++ ;
    while (start < end && (file.s[start] == ' ' || file.s[start] == '\t')) start++ ;
    while (end > start && (file.s[end - 1] == ' ' || file.s[end - 1] == '\t' || file.s[end - 1] == '\r')) end-- ;
    if (start == end || file.s[start] == '#') continue ;
    if (!stralloc_catb(list, file.s + start, end - start) || !stralloc_0(list)) strerr_diefusys(111, "store addresses") ;
  }
  stralloc_free(&file) ;
  for (i = 0 ; i < list->len ; i += strlen(list->s + i) + 1)
    if (!genalloc_catb(char const *, ptrs, &(char const *){ list->s + i }, 1)) strerr_diefusys(111, "store addresses") ;
  rc->addrs = genalloc_s(char const *, ptrs) ;
  rc->n = genalloc_len(char const *, ptrs) ;
}

/* DIR/message: its header in text[0..*hdrlen); the returned fd is at the start of its body. */
static int opentext (int dfd, char const *dir, stralloc *text, size_t *hdrlen)
{
  size_t body ;
  int fd = openat(dfd, "message", O_RDONLY | O_CLOEXEC) ;
  if (fd < 0) strerr_diefusys(111, "open ", dir, "/message") ;
  if (!slurp(text, fd)) strerr_diefusys(111, "read ", dir, "/message") ;
  body = autoresp_textsplit(text->s, text->len, hdrlen) ;
  if (lseek(fd, body, SEEK_SET) < 0) strerr_diefusys(111, "seek in ", dir, "/message") ;
  return fd ;
}

/* Lock DIR/sent (made if missing; the lock is held until we exit, so that two deliveries
   from one sender do not both answer) and apply the limit to the sender's state file. 1: the
   new state is written to st->tmp; 0: the sender had enough replies. */
static int state_prepare (state_t *st, int dfd, char const *dir, char const *sender, opts_t const *o)
{
  stralloc sa = STRALLOC_ZERO ;
  struct stat s ;
  unsigned long count = 0 ;
  time_t start = 0 ;
  int fd ;
  if (mkdirat(dfd, "sent", 0700) < 0 && errno != EEXIST) strerr_diefusys(111, "create ", dir, "/sent") ;
  st->sfd = openat(dfd, "sent", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (st->sfd < 0) strerr_diefusys(111, "open ", dir, "/sent") ;
  fd = openat(st->sfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600) ;
  if (fd < 0 || fd_lock(fd, 1, 0) < 1) strerr_diefusys(111, "lock ", dir, "/sent/lock") ;
  autoresp_statename(st->name, sender) ;
  fd = openat(st->sfd, st->name, O_RDONLY | O_CLOEXEC) ;
  if (fd < 0 && errno != ENOENT) strerr_diefusys(111, "open ", dir, "/sent/", st->name) ;
  if (fd >= 0)
  {
    if (fstat(fd, &s) < 0 || !slurp(&sa, fd)) strerr_diefusys(111, "read ", dir, "/sent/", st->name) ;
    fd_close(fd) ;
    start = s.st_mtime ;
    count = autoresp_statecount(sa.s, sa.len) ;
  }
  if (!autoresp_ratelimit(&count, &start, time(0), o->secs, o->max))
  {
    stralloc_free(&sa) ;
    return 0 ;
  }
  memcpy(st->tmp, "tmp.", 4) ;
  st->tmp[4 + pid_fmt(st->tmp + 4, getpid())] = 0 ;
  sa.len = 0 ;
  fd = openat(st->sfd, st->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) ;
  /* The file's time is when its window opened: set it after the write, which changes it.
     No fsync: a state lost in a crash costs one more reply, not a lost message. */
  if (fd < 0 || !autoresp_statefmt(&sa, count, sender) || allwrite(fd, sa.s, sa.len) < sa.len
   || futimens(fd, (struct timespec const[2]){ { start, 0 }, { start, 0 } }) < 0 || close(fd) < 0)
    strerr_diefusys(111, "write ", dir, "/sent/", st->tmp) ;
  stralloc_free(&sa) ;
  return 1 ;
}

/* Queue the reply (header, then the body from fd) to the sender, from <>. The state is
   renamed into place only once the reply is queued; on a failure it is dropped. */
static void reply (int fd, stralloc const *hdr, char const *sender, state_t const *st)
{
  char fmt[PID_FMT] ;
  char const *text ;
  pid_t qp = 0 ;
  int code, wstat = qlocal_inject(fd, hdr->s, hdr->len, "", &sender, 1, &qp, &text) ;
  code = wstat < 0 ? -1 : qlocal_qqresult(wstat, &text) ;
  if (code) unlinkat(st->sfd, st->tmp, 0) ;
  if (code < 0) strerr_diefusys(111, text) ;
  if (code == 111) strerr_diefu(111, "queue the reply: ", text) ;
  if (code)  /* refused for good: no reason to defer or bounce the message it answers */
  {
    strerr_warnwu("queue the reply to ", sender, ": ", text) ;
    return ;
  }
  if (renameat(st->sfd, st->tmp, st->sfd, st->name) < 0) strerr_warnwusys("record the reply in sent/", st->name) ;
  fmt[pid_fmt(fmt, qp)] = 0 ;
  if (buffer_puts(buffer_1, "qmail-autorespond: qp ") < 0 || buffer_puts(buffer_1, fmt) < 0
   || buffer_putsflush(buffer_1, "\n") < 0) strerr_diefusys(111, "write to stdout") ;
}

static void quiet (char const *sender, char const *why)
{
  strerr_warni("not answering <", sender, ">: ", why) ;
}

/* The message passed the checks: answer unless the sender had enough replies. */
static void answer (int dfd, char const *dir, stralloc const *orig, char const *sender, char const *recipient, opts_t const *o)
{
  stralloc text = STRALLOC_ZERO, hdr = STRALLOC_ZERO ;
  autoresp_reply_t r = { .from = recipient, .to = sender, .now = time(0), .pid = getpid() } ;
  state_t st ;
  size_t hdrlen ;
  int fd = opentext(dfd, dir, &text, &hdrlen) ;
  if (!state_prepare(&st, dfd, dir, sender, o)) quiet(sender, "answered already within -t seconds") ;
  else
  {
    if (!autoresp_header(&hdr, orig->s, orig->len, text.s, hdrlen, &r))
    {
      unlinkat(st.sfd, st.tmp, 0) ;
      strerr_diefusys(111, "write the reply's header") ;
    }
    reply(fd, &hdr, sender, &st) ;
  }
  fd_close(fd) ;
  stralloc_free(&text) ;
  stralloc_free(&hdr) ;
}

int main (int argc, char const *const *argv)
{
  opts_t o = { .secs = 604800, .max = 1, .anyrcpt = 0 } ;
  stralloc orig = STRALLOC_ZERO, list = STRALLOC_ZERO ;
  genalloc ptrs = GENALLOC_ZERO ;
  autoresp_rcpt_t rc = { .anyrcpt = 0 } ;
  char const *dir, *sender, *recipient ;
  int dfd, why ;
  PROG = "qmail-autorespond" ;
  dir = parseopts(argc, argv, &o) ;
  sender = need("SENDER") ;
  recipient = need("RECIPIENT") ;
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd < 0) strerr_diefusys(111, "open ", dir) ;
  readheader(&orig) ;
  recipients(&rc, &list, &ptrs, dfd, dir, recipient) ;
  rc.anyrcpt = o.anyrcpt ;
  why = autoresp_decide(orig.s, orig.len, sender, &rc) ;
  if (why < 0) strerr_diefusys(111, "read the header") ;
  if (why) quiet(sender, autoresp_whystr(why)) ;
  else answer(dfd, dir, &orig, sender, recipient, &o) ;
  stralloc_free(&orig) ;
  stralloc_free(&list) ;
  genalloc_free(char const *, &ptrs) ;
  return 0 ;
}
