/* smtpd-session-core.c: qmail-smtpd's session (see smtpd.h). Replies are buffered and go out
   when the client has nothing more pending (RFC 2920), so a pipelined batch gets its replies in
   one write; every read and write that has to wait gets timeoutsmtpd seconds (lib/timedio). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "control.h"
#include "envelope.h"
#include "exitcode.h"
#include "qqspawn.h"
#include "smtpd.h"
#include "timedio.h"

#define ARGLOGMAX 200   /* of a command's argument in a log line */

static int envfd (char const *name)
{
  char const *x = getenv(name) ;
  unsigned int fd ;
  return x && uint0_scan(x, &fd) && fd > 2 ? (int)fd : -1 ;
}

/* qmail-tls's descriptors (STARTTLS offered), or the variables of implicit TLS */
static void tlsenv (smtp_t *s)
{
  char const *proto = getenv("SSL_PROTOCOL"), *cipher = getenv("SSL_CIPHER") ;
  s->tlsctl = envfd("SSLCTLFD") ;
  s->tlsread = envfd("SSLREADFD") ;
  s->tlswrite = envfd("SSLWRITEFD") ;
  if (s->tlsctl < 0 || s->tlsread < 0 || s->tlswrite < 0) s->tlsctl = s->tlsread = s->tlswrite = -1 ;
  /* not for qmail-queue or checkpassword */
  else if (coe(s->tlsctl) < 0 || coe(s->tlsread) < 0 || coe(s->tlswrite) < 0) strerr_diefusys(111, "set close-on-exec") ;
  if (proto && *proto)
  {
    s->tls = 1 ;
    if (!stralloc_cats(&s->tlsinfo, proto) || !stralloc_cats(&s->tlsinfo, " ")
     || !stralloc_cats(&s->tlsinfo, cipher ? cipher : "unknown") || !stralloc_0(&s->tlsinfo))
      strerr_diefusys(111, "allocate memory") ;
  }
}

void smtp_init (smtp_t *s, int rfd, int wfd)
{
  s->rfd = rfd ;
  s->wfd = wfd ;
  buffer_init(&s->in, &fd_readv, rfd, s->inbuf, sizeof s->inbuf) ;
  buffer_init(&s->out, &fd_writev, wfd, s->outbuf, sizeof s->outbuf) ;
  tlsenv(s) ;
}

static void readlist (stralloc *sa, size_t *n, char const *name)
{
  int r = control_readlist(sa, n, name) ;
  if (r < 0) control_die(name, r) ;
}

void smtp_readconf (smtpd_conf_t *c)
{
  unsigned long u ;
  int r ;
  char const *failed ;
  control_list() ;   /* one directory read instead of a failed open per absent file */
  if ((r = control_readline(&c->me, "me", "localhost", 0)) < 0) control_die("me", r) ;
  /* me is the default of the next two: read once, not again through CONTROL_ME */
  if ((r = control_readline(&c->greeting, "smtpgreeting", c->me.s, CONTROL_ENVOK)) < 0) control_die("smtpgreeting", r) ;
  if ((r = control_readline(&c->localiphost, "localiphost", c->me.s, 0)) < 0) control_die("localiphost", r) ;
  readlist(&c->rcpthosts, &c->nrcpthosts, "rcpthosts") ;
  readlist(&c->badmailfrom, &c->nbadmailfrom, "badmailfrom") ;
  if (!control_absent("morercpthosts.cdb"))
  {
    if (cdb_init(&c->mrh, "control/morercpthosts.cdb")) c->havemrh = 1 ;
    else if (errno != ENOENT) strerr_diefusys(111, "open control/morercpthosts.cdb") ;
  }
  if ((r = control_readulong(&u, "databytes", 0, CONTROL_ENVOK)) < 0) control_die("databytes", r) ;
  c->databytes = u ;
  if ((r = control_readulong(&c->timeout, "timeoutsmtpd", 1200, CONTROL_ENVOK)) < 0) control_die("timeoutsmtpd", r) ;
  if (!c->timeout || c->timeout > 86400) c->timeout = 86400 ;
  if ((r = control_readulong(&c->maxrcpt, "maxrcpt", 10000, CONTROL_ENVOK)) < 0) control_die("maxrcpt", r) ;
  if ((r = control_readulong(&u, "rcptcheck", 1, CONTROL_ENVOK)) < 0) control_die("rcptcheck", r) ;
  c->rcptcheck = !!u ;
  if (c->rcptcheck && (r = rewrite_load(&c->rw, &failed)) < 0) control_die(failed, r) ;
  if ((r = control_readulong(&u, "authnotls", 0, CONTROL_ENVOK)) < 0) control_die("authnotls", r) ;
  c->authnotls = !!u ;
  if ((r = control_readulong(&u, "authrequired", 0, CONTROL_ENVOK)) < 0) control_die("authrequired", r) ;
  c->authrequired = !!u ;
  control_unlist() ;
  c->relayclient = getenv("RELAYCLIENT") ;
  c->remoteip = getenv("TCPREMOTEIP") ;
  c->remotehost = getenv("TCPREMOTEHOST") ;
  c->remoteinfo = getenv("TCPREMOTEINFO") ;
  c->localip = getenv("TCPLOCALIP") ;
}

static void logline (smtp_t *s, char const *a, char const *b, char const *c)
{
  smtp_log(s, a, b, c, "") ;
}

void smtp_log (smtp_t *s, char const *a, char const *b, char const *c, char const *d)
{
  char fmt[PID_FMT] ;
  s->log.len = 0 ;
  if (!stralloc_cats(&s->log, "qmail-smtpd: pid ") || !stralloc_catb(&s->log, fmt, pid_fmt(fmt, getpid()))
   || !stralloc_cats(&s->log, " from ") || !stralloc_cats(&s->log, s->c->remoteip ? s->c->remoteip : "unknown")
   || !stralloc_cats(&s->log, ": ") || !stralloc_cats(&s->log, a) || !stralloc_cats(&s->log, b)
   || !stralloc_cats(&s->log, c) || !stralloc_cats(&s->log, d) || !stralloc_catb(&s->log, "\n", 1)) return ;
  allwrite(2, s->log.s, s->log.len) ;
}

/* The client's descriptors, once the timeout is known (and again after STARTTLS) */
static void prepare (smtp_t *s)
{
  s->rmode = timedio_prepare(s->rfd, 0, s->c->timeout) ;
  s->wmode = timedio_prepare(s->wfd, 1, s->c->timeout) ;
  if (s->rmode < 0 || s->wmode < 0) strerr_diefusys(111, "set up the client descriptors") ;
}

void smtp_flush (smtp_t *s)
{
  if (!timedio_flush(&s->out, s->wmode, s->c->timeout))
  {
    logline(s, errno == ETIMEDOUT ? "timeout writing to the client" : "unable to write to the client", "", "") ;
    smtp_reset(s) ;
    _exit(0) ;
  }
}

void smtp_fatal (smtp_t *s, char const *what)
{
  int e = errno ;
  buffer_puts(&s->out, "421 4.3.0 temporary failure, closing connection\r\n") ;
  timedio_flush(&s->out, s->wmode, s->c->timeout) ;
  smtp_reset(s) ;
  errno = e ;
  strerr_diefusys(111, what) ;
}

static void put (smtp_t *s, char const *x, size_t len)
{
  while (len)
  {
    size_t n = buffer_available(&s->out) ;
    if (!n) { smtp_flush(s) ; continue ; }
    if (n > len) n = len ;
    buffer_putnoflush(&s->out, x, n) ;
    x += n ; len -= n ;
  }
}

void smtp_putreply (smtp_t *s, char const *a, char const *b)
{
  put(s, a, strlen(a)) ;
  put(s, b, strlen(b)) ;
  put(s, "\r\n", 2) ;
}

void smtp_reply (smtp_t *s, char const *text, char const *verb, char const *arg)
{
  size_t len = strlen(arg) ;
  s->tmp.len = 0 ;
  if (!stralloc_cats(&s->tmp, verb) || !stralloc_catb(&s->tmp, " ", 1)
   || !smtpd_safe(&s->tmp, arg, len > ARGLOGMAX ? ARGLOGMAX : len, 0) || !stralloc_cats(&s->tmp, ": ")
   || !stralloc_0(&s->tmp)) smtp_fatal(s, "allocate memory") ;
  logline(s, "reject ", s->tmp.s, text) ;
  /* a client that keeps sending bad commands gets its last answer as a 421 */
  if (text[0] == '5' && text[1] == '0' && ++s->errors >= SMTP_ERRORMAX)
  {
    smtp_putreply(s, "421 4.7.0 too many errors, closing connection", "") ;
    logline(s, "too many errors, closing connection", "", "") ;
    smtp_flush(s) ;
    smtp_reset(s) ;
    _exit(0) ;
  }
  smtp_putreply(s, text, "") ;
}

void smtp_replyaddr (smtp_t *s, char const *text, address_err_t e, char const *verb, char const *arg)
{
  stralloc sa = STRALLOC_ZERO ;
  if (!stralloc_cats(&sa, text) || !stralloc_cats(&sa, address_errstr(e)) || !stralloc_0(&sa)) smtp_fatal(s, "allocate memory") ;
  smtp_reply(s, sa.s, verb, arg) ;
  stralloc_free(&sa) ;
}

void smtp_greet (smtp_t *s)
{
  prepare(s) ;
  put(s, "220 ", 4) ;
  put(s, s->c->greeting.s, s->c->greeting.len) ;
  smtp_putreply(s, " ESMTP", "") ;
  smtp_flush(s) ;
}

/* The extensions; STARTTLS and AUTH only when they apply. */
void smtp_ehloreply (smtp_t *s)
{
  char size[5 + UINT64_FMT] = "SIZE" ;
  char const *ext[8] = { "PIPELINING", "8BITMIME", size, "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING" } ;
  size_t n = 6 ;
  if (s->tlsctl >= 0 && !s->tls) ext[n++] = "STARTTLS" ;
  if (smtp_authoffered(s)) ext[n++] = "AUTH PLAIN LOGIN" ;
  if (s->c->databytes)
  {
    size[4] = ' ' ;
    size[5 + uint64_fmt(size + 5, s->c->databytes)] = 0 ;
  }
  smtp_putreply(s, "250-", s->c->me.s) ;
  for (size_t i = 0 ; i < n ; i++) smtp_putreply(s, i + 1 < n ? "250-" : "250 ", ext[i]) ;
}

int smtp_sethelo (smtp_t *s, char const *arg, size_t len)
{
  s->helo.len = 0 ;
  return stralloc_catb(&s->helo, arg, len) && stralloc_0(&s->helo) ;
}

/* Abort a message in progress: qmail-queue sees its input end without an envelope. */
static void qqabort (smtp_t *s)
{
  int sig ;
  if (!s->qqpid) return ;
  fd_close(s->msgfd) ;
  fd_close(s->envfd) ;
  fd_close(s->errfd) ;
  s->msgfd = s->envfd = s->errfd = -1 ;
  qq_wait(s->qqpid, &sig) ;
  s->qqpid = 0 ;
}

void smtp_reset (smtp_t *s)
{
  qqabort(s) ;
  s->mail = s->rcptseen = s->chunking = 0 ;
  s->nrcpt = 0 ;
  s->rcpts.len = 0 ;
  s->params = (smtpd_params_t)SMTPD_PARAMS_ZERO ;
}

int smtp_has8bit (char const *x, size_t len)
{
  for (size_t i = 0 ; i < len ; i++) if ((unsigned char)x[i] >= 0x80) return 1 ;
  return 0 ;
}

int smtp_sameip (char const *literal, char const *ip)
{
  unsigned char a[16], b[16] ;
  char buf[ADDRESS_DOMAINMAX + 1] ;
  size_t len = strlen(literal) ;
  int af = AF_INET ;
  if (len < 3 || literal[0] != '[' || literal[len - 1] != ']' || len > sizeof buf) return 0 ;
  literal++ ; len -= 2 ;
  if (len > 5 && !strncasecmp(literal, "IPv6:", 5)) { af = AF_INET6 ; literal += 5 ; len -= 5 ; }
  memcpy(buf, literal, len) ;
  buf[len] = 0 ;
  if (inet_pton(af, buf, a) != 1 || inet_pton(af, ip, b) != 1) return 0 ;
  return !memcmp(a, b, af == AF_INET ? 4 : 16) ;
}

int smtp_rcptexists (smtp_t *s)
{
  size_t at ;
  s->tmp.len = 0 ;
  switch (rewrite_recipient(&s->c->rw, s->rcpt.s, &s->tmp))
  {
    case 0 : return -1 ;
    case REWRITE_REMOTE : return 1 ;
  }
  at = byte_rchr(s->tmp.s, strlen(s->tmp.s), '@') ;
  s->tmp.s[at] = 0 ;
  return smtpd_rcptexists(s->tmp.s) ;
}

/* Read more from the client; the pending replies go out first. Dies at the end or timeout. */
static void fill (smtp_t *s)
{
  ssize_t r ;
  if (buffer_len(&s->out)) smtp_flush(s) ;
  r = timedio_fill(&s->in, s->rmode, s->c->timeout) ;
  if (r > 0) return ;
  if (r < 0 && errno == ETIMEDOUT)
  {
    smtp_putreply(s, "421 4.4.2 timeout, closing connection", "") ;
    logline(s, "timeout reading from the client", "", "") ;
    timedio_flush(&s->out, s->wmode, s->c->timeout) ;
  }
  else if (r < 0) logline(s, "unable to read from the client: ", strerror(errno), "") ;
  else if (s->mail) logline(s, "client went away inside a transaction", "", "") ;
  smtp_reset(s) ;
  _exit(0) ;
}

int smtp_authoffered (smtp_t const *s)
{
  return s->c->checkpw && !s->authuser.len && (s->tls || s->c->authnotls) ;
}

/* Read the answer of qmail-tls on its control descriptor: one line. */
static void tlsanswer (smtp_t *s, char *buf, size_t max)
{
  size_t n = 0 ;
  while (n < max - 1)
  {
    ssize_t r ;
    if (!timedio_wait(s->tlsctl, 0, s->c->timeout))
    {
      buf[0] = 'N' ;
      strcpy(buf + 1, errno == ETIMEDOUT ? "timeout" : "poll failed") ;
      return ;
    }
    r = fd_read(s->tlsctl, buf + n, 1) ;
    if (r <= 0) break ;
    if (buf[n] == '\n') break ;
    n++ ;
  }
  buf[n] = 0 ;
  if (!n) strcpy(buf, "Nqmail-tls went away") ;
}

void smtp_starttls (smtp_t *s)
{
  char buf[300] ;
  smtp_putreply(s, "220 2.0.0 ready to start TLS", "") ;
  smtp_flush(s) ;
  if (fd_write(s->tlsctl, "Y", 1) != 1) smtp_fatal(s, "ask qmail-tls for TLS") ;
  tlsanswer(s, buf, sizeof buf) ;
  if (buf[0] != 'Y')
  {
    logline(s, "TLS failed: ", buf + 1, "") ;
    smtp_reset(s) ;
    _exit(0) ;
  }
  /* Whatever the client sent before the handshake is dropped with the old buffer: commands
     injected in plaintext are never run as if they came over TLS (CVE-2011-0411). */
  s->rfd = s->tlsread ;
  s->wfd = s->tlswrite ;
  prepare(s) ;
  buffer_init(&s->in, &fd_readv, s->rfd, s->inbuf, sizeof s->inbuf) ;
  buffer_init(&s->out, &fd_writev, s->wfd, s->outbuf, sizeof s->outbuf) ;
  s->tls = 1 ;
  s->needehlo = 1 ;
  s->esmtp = 0 ;
  s->helo.len = 0 ;
  smtp_reset(s) ;
  s->tlsinfo.len = 0 ;
  if (!stralloc_cats(&s->tlsinfo, buf + 1) || !stralloc_0(&s->tlsinfo)) smtp_fatal(s, "allocate memory") ;
  logline(s, "TLS started: ", s->tlsinfo.s, "") ;
}

/* One command line into s->line, without CR LF, NUL-terminated. 0 if it was too long. */
int smtp_readline (smtp_t *s)
{
  int toolong = 0 ;
  s->line.len = 0 ;
  for (;;)
  {
    struct iovec v[2] ;
    size_t n, k ;
    if (!buffer_len(&s->in)) fill(s) ;
    buffer_rpeek(&s->in, v) ;
    n = v[0].iov_len ;
    k = byte_chr(v[0].iov_base, n, '\n') ;
    if (!toolong && s->line.len + (k < n ? k + 1 : n) > SMTP_LINEMAX) toolong = 1 ;
    if (!toolong && !stralloc_catb(&s->line, v[0].iov_base, k < n ? k + 1 : n)) smtp_fatal(s, "allocate memory") ;
    buffer_rseek(&s->in, k < n ? k + 1 : n) ;
    if (k < n) break ;
  }
  if (toolong) return 0 ;
  while (s->line.len && (s->line.s[s->line.len - 1] == '\n' || s->line.s[s->line.len - 1] == '\r')) s->line.len-- ;
  if (!stralloc_0(&s->line)) smtp_fatal(s, "allocate memory") ;
  s->line.len-- ;
  return 1 ;
}

void smtp_command (smtp_t *s, smtp_cmd_t const *table)
{
  size_t vlen, a ;
  if (!smtp_readline(s)) smtp_reply(s, "500 5.5.2 line too long", "(long line)", "") ;
  else
  {
    vlen = byte_chr(s->line.s, s->line.len, ' ') ;
    for (a = vlen ; a < s->line.len && s->line.s[a] == ' ' ; a++) ;
    s->line.s[vlen] = 0 ;
    while (table->verb && (strlen(table->verb) != vlen || strncasecmp(table->verb, s->line.s, vlen))) table++ ;
    s->verb = s->line.s ;
    if (!table->verb) smtp_reply(s, "500 5.5.1 unrecognized command", s->line.s, "") ;
    else (*table->f)(s, s->line.s + a, s->line.len - a) ;
  }
  if (!buffer_len(&s->in)) smtp_flush(s) ;
}

static void qqput (smtp_t *s, char const *x, size_t len)
{
  if (s->qqwrite || !len) return ;
  if (allwrite(s->msgfd, x, len) < len) s->qqwrite = errno ? errno : EPIPE ;
}

int smtp_msgstart (smtp_t *s, unsigned int mode)
{
  smtpd_rcvd_t r =
  {
    .helo = s->helo.len ? s->helo.s : 0, .info = s->c->remoteinfo, .host = s->c->remotehost,
    .ip = s->c->remoteip, .me = s->c->me.s, .ip6 = s->c->remoteip && strchr(s->c->remoteip, ':') != 0,
    .proto = smtpd_protocol(s->esmtp, s->params.utf8, s->tls, s->authuser.len > 0),
    .tls = s->tls ? s->tlsinfo.s : 0, .auth = s->authuser.len ? s->authuser.s : 0
  } ;
  s->qqpid = qq_spawn(&s->msgfd, &s->envfd, &s->errfd) ;
  if (s->qqpid < 0)
  {
    s->qqpid = 0 ;
    logline(s, "unable to start qmail-queue: ", strerror(errno), "") ;
    smtp_reply(s, "451 4.3.0 unable to start qmail-queue, try again later", s->verb, "") ;
    smtp_reset(s) ;
    return 0 ;
  }
  smtpd_data_init(&s->data, mode, s->c->databytes) ;
  s->qqwrite = 0 ;
  s->tmp.len = 0 ;
  if (!smtpd_received(&s->tmp, &r, time(0))) smtp_fatal(s, "build the Received line") ;
  qqput(s, s->tmp.s, s->tmp.len) ;
  return 1 ;
}

void smtp_msgdata (smtp_t *s)
{
  while (!s->data.done)
  {
    struct iovec v[2] ;
    size_t n ;
    if (!buffer_len(&s->in)) fill(s) ;
    buffer_rpeek(&s->in, v) ;
    s->tmp.len = 0 ;
    n = smtpd_data_feed(&s->data, v[0].iov_base, v[0].iov_len, &s->tmp) ;
    if (!n) smtp_fatal(s, "allocate memory") ;
    buffer_rseek(&s->in, n) ;
    qqput(s, s->tmp.s, s->tmp.len) ;
  }
}

/* Read (keep) or skip size bytes of a BDAT chunk. */
static void chunk (smtp_t *s, uint64_t size, int keep)
{
  while (size)
  {
    struct iovec v[2] ;
    size_t n ;
    if (!buffer_len(&s->in)) fill(s) ;
    buffer_rpeek(&s->in, v) ;
    n = v[0].iov_len < size ? v[0].iov_len : size ;
    if (keep)
    {
      s->tmp.len = 0 ;
      if (smtpd_data_feed(&s->data, v[0].iov_base, n, &s->tmp) != n) smtp_fatal(s, "allocate memory") ;
      qqput(s, s->tmp.s, s->tmp.len) ;
    }
    buffer_rseek(&s->in, n) ;
    size -= n ;
  }
}

void smtp_msgchunk (smtp_t *s, uint64_t size)
{
  chunk(s, size, 1) ;
}

void smtp_skip (smtp_t *s, uint64_t size)
{
  chunk(s, size, 0) ;
}

/* The reply for qmail-queue's exit code, into sa */
static void qqreply (smtp_t *s, stralloc *sa, int code, int sig)
{
  sa->len = 0 ;
  if (code < 0)
  {
    if (!stralloc_cats(sa, sig ? "451 4.3.0 qmail-queue crashed" : "451 4.3.0 unable to wait for qmail-queue")) goto nomem ;
  }
  else if (code == QQ_CUSTOM)
  {
    stralloc text = STRALLOC_ZERO ;
    int perm = qq_customreply(s->errfd, &text) ;
    s->errfd = -1 ;
    if (!stralloc_cats(sa, perm ? "554 5.7.1 " : "451 4.7.1 ")
     || !stralloc_cats(sa, text.len ? "" : "message refused by a filter") || !stralloc_cat(sa, &text)) goto nomem ;
    stralloc_free(&text) ;
  }
  else if (!exitreply_smtp(sa, exitreply_qq(code))) goto nomem ;
  else sa->len -= 2 ;   /* the CRLF: smtp_reply adds its own */
  if (!stralloc_0(sa)) goto nomem ;
  return ;
 nomem:
  smtp_fatal(s, "allocate memory") ;
}

/* 1 if the envelope reached qmail-queue */
static int sendenvelope (smtp_t *s)
{
  stralloc env = STRALLOC_ZERO ;
  int ok = envelope_start(&env, s->sender.s) ;
  for (size_t i = 0 ; ok && i < s->rcpts.len ; i += strlen(s->rcpts.s + i) + 1)
    ok = envelope_addrcpt(&env, s->rcpts.s + i) ;
  if (!ok || !envelope_finish(&env)) smtp_fatal(s, "allocate memory") ;
  ok = allwrite(s->envfd, env.s, env.len) == env.len ;
  stralloc_free(&env) ;
  return ok ;
}

static void accepted (smtp_t *s, pid_t qp)
{
  char fmt[UINT64_FMT + PID_FMT + 40] ;
  size_t n = 0 ;
  fmt[n += uint64_fmt(fmt + n, (uint64_t)time(0))] = 0 ;
  memcpy(fmt + n, " qp ", 4) ; n += 4 ;
  fmt[n += pid_fmt(fmt + n, qp)] = 0 ;
  smtp_putreply(s, "250 2.0.0 ok ", fmt) ;
  s->tmp.len = 0 ;
  memcpy(fmt + n, " bytes ", 7) ; n += 7 ;
  fmt[n += uint64_fmt(fmt + n, s->data.bytes)] = 0 ;
  if (!stralloc_cats(&s->tmp, " from <") || !smtpd_safe(&s->tmp, s->sender.s, s->sender.len, 0)
   || !stralloc_cats(&s->tmp, ">")) return ;
  if (s->authuser.len && (!stralloc_cats(&s->tmp, " auth ") || !smtpd_safe(&s->tmp, s->authuser.s, s->authuser.len, 1))) return ;
  if (s->tls && (!stralloc_cats(&s->tmp, " tls ") || !stralloc_cats(&s->tmp, s->tlsinfo.s))) return ;
  if (!stralloc_0(&s->tmp)) return ;
  logline(s, "accepted message ", fmt, s->tmp.s) ;
}

void smtp_msgfinish (smtp_t *s)
{
  char const *refuse = 0 ;
  int code, sig ;
  pid_t qp = s->qqpid ;
  if (s->data.mode == SMTPD_DATA_RAW) smtpd_data_end(&s->data) ;
  if (smtpd_data_toobig(&s->data)) refuse = "552 5.3.4 sorry, that message size exceeds my databytes limit" ;
  else if (s->data.bare) refuse = "554 5.6.0 message refused: a bare CR or LF in the data (RFC 5321 section 2.3.8)" ;
  else if (s->data.hops >= SMTPD_HOPMAX) refuse = "554 5.4.6 too many hops, this message is looping" ;
  if (refuse)
  {
    smtp_reply(s, refuse, s->verb, "") ;
    smtp_reset(s) ;
    return ;
  }
  fd_close(s->msgfd) ;
  s->msgfd = -1 ;
  if (!s->qqwrite) sendenvelope(s) ;
  fd_close(s->envfd) ;
  s->envfd = -1 ;
  code = qq_wait(s->qqpid, &sig) ;
  s->qqpid = 0 ;
  if (!code && !s->qqwrite) accepted(s, qp) ;
  else
  {
    stralloc text = STRALLOC_ZERO ;
    qqreply(s, &text, code ? code : QQ_WRITE, sig) ;
    smtp_reply(s, text.s, s->verb, "") ;
    stralloc_free(&text) ;
  }
  fd_close(s->errfd) ;
  s->errfd = -1 ;
  smtp_reset(s) ;
}
