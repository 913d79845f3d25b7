/* qmail-remote: delivers one message to recipients at one host over SMTP (RFC 5321).
   argv: host sender recip...; fd 0: the message (LF line ends), read to end of file.
   fd 1: for each recipient, in order, r (accepted), h (refused for good) or s (refused for now)
   + text + NUL; then K (delivered to every accepted recipient), Z (try again later) or
   D (failed for good) + text + NUL. A message that failed before any RCPT has no recipient
   records. Exits 0 once the report is written; 100 usage, 111 unable to report.
   TLS (control/tlspolicy): after EHLO, STARTTLS and the qmail-tls client helper, whose pipes
   replace the connection (RFC 3207); AUTH (control/smtpauth) to a relay, then MAIL. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <stdlib.h>
#include "address.h"
#include "control.h"
#include "dns.h"
#include "exitcode.h"
#include "home.h"
#include "remote-core.h"
#include "remote-tls-core.h"
#include "timedio.h"

#define USAGE "qmail-remote host sender recip [recip...]"
#define TCPTO "queue/lock/tcpto"
#define LINEMAX 4096
#define CHUNK 65536
#define SMTP_NEXT 0    /* smtp(): this address is done, try the next one */
#define SMTP_PLAIN 1   /* smtp(): TLS failed under "may": the same address again, in the clear */

typedef struct smtp_s smtp_t ;
struct smtp_s
{
  int rfd, wfd ;              /* the peer: the socket, or the pipes of qmail-tls (tls_start) */
  pid_t tlspid ;              /* qmail-tls, while it runs */
  stralloc tlsinfo ;          /* its "version cipher verified|unverified"; empty in the clear */
  stralloc why ;              /* why required TLS failed on the last address (the final Z) */
  int authed ;
  unsigned int timeout ;      /* seconds for each read or write */
  char ip[IP46_FMT] ;         /* the peer, for the texts */
  char buf[4096] ;
  size_t pos, len ;
  stralloc line, cmd, report ;
  smtpreply_t reply ;
  unsigned int ext ;          /* EHLO_* */
  uint64_t sizemax ;
} ;

typedef struct job_s job_t ;
struct job_s
{
  char const *host, *sender ;
  char const *const *rcpt ;
  unsigned int n ;
  stralloc helo, mem ;        /* mem: the message when fd 0 is not a regular file */
  int inmem ;
  uint64_t size ;
  unsigned int timeoutconnect ;
  int policy ;                /* TLSPOLICY_*, control/tlspolicy for host */
  stralloc relay, tlsprog, ca ;  /* the smtproutes relay as written (or empty), qmail-tls, control/tlsca */
  stralloc auth, user ;       /* control/smtpauth; the user for the relay (empty: no AUTH) */
  char const *pass ;          /* inside auth; never written anywhere but to the peer */
} ;

/* The whole report goes out at once, after the last record: K/Z/D ends it. */
static void finish (smtp_t *c, char letter, char const *a, char const *b, char const *d) gccattr_noreturn ;
static void finish (smtp_t *c, char letter, char const *a, char const *b, char const *d)
{
  if (!stralloc_catb(&c->report, &letter, 1) || !stralloc_cats(&c->report, a) || !stralloc_cats(&c->report, b)
   || !stralloc_cats(&c->report, d) || !stralloc_0(&c->report)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  if (allwrite(1, c->report.s, c->report.len) < c->report.len) strerr_diefusys(QX_TEMP, "write the report") ;
  _exit(0) ;
}

static void nomem (smtp_t *c) gccattr_noreturn ;
static void nomem (smtp_t *c)
{
  finish(c, 'Z', "Out of memory. (#4.3.0)", "", "") ;
}

static int sendall (smtp_t *c, char const *s, size_t len)
{
  return timedio_write(c->wfd, s, len, c->timeout) ;
}

/* One line into c->line (LF dropped, capped at LINEMAX). 0: end of file, error or timeout. */
static int getline_ (smtp_t *c)
{
  c->line.len = 0 ;
  for (;;)
  {
    if (c->pos < c->len)
    {
      size_t n = byte_chr(c->buf + c->pos, c->len - c->pos, '\n') ;
      size_t keep = c->line.len + n > LINEMAX ? LINEMAX - c->line.len : n ;
      if (!stralloc_catb(&c->line, c->buf + c->pos, keep)) nomem(c) ;
      c->pos += n ;
      if (c->pos < c->len) { c->pos++ ; return 1 ; }
    }
    {
      ssize_t r = timedio_read(c->rfd, c->buf, sizeof c->buf, c->timeout) ;
      if (r <= 0) return (r ? 0 : (errno = EPIPE, 0)) ;
      c->pos = 0 ;
      c->len = r ;
    }
  }
}

/* The code of the next reply; 0 when the connection died or the reply was malformed. */
static unsigned int getreply (smtp_t *c)
{
  c->reply.lines = 0 ;
  for (;;)
  {
    int r ;
    if (!getline_(c)) return 0 ;
    r = smtpreply_add(&c->reply, c->line.s, c->line.len) ;
    if (r > 0) return c->reply.code ;
    if (r < 0) return 0 ;
  }
}

static void quit (smtp_t *c)
{
  if (sendall(c, "QUIT\r\n", 6)) getreply(c) ;
}

/* A failure with the peer's words: "D1.2.3.4 failed on DATA command.\nRemote host said: ..." */
static void said (smtp_t *c, char letter, char const *before, char const *after) gccattr_noreturn ;
static void said (smtp_t *c, char letter, char const *before, char const *after)
{
  stralloc t = STRALLOC_ZERO ;
  if (!stralloc_cats(&t, before) || !stralloc_cats(&t, c->ip) || !stralloc_cats(&t, after)
   || !stralloc_cats(&t, ".\nRemote host said: ") || !stralloc_catb(&t, c->reply.text.s, c->reply.text.len) || !stralloc_0(&t)) nomem(c) ;
  quit(c) ;
  finish(c, letter, t.s, "", "") ;
}

static void died (smtp_t *c) gccattr_noreturn ;
static void died (smtp_t *c)
{
  finish(c, 'Z', "Connected to ", c->ip, " but connection died. (#4.4.2)") ;
}

static unsigned int command (smtp_t *c, char const *s)
{
  unsigned int code ;
  if (!sendall(c, s, strlen(s))) died(c) ;
  code = getreply(c) ;
  if (!code) died(c) ;
  return code ;
}

static void hello (smtp_t *c, job_t const *j)
{
  unsigned int code ;
  c->cmd.len = 0 ;
  if (!stralloc_cats(&c->cmd, "EHLO ") || !stralloc_cat(&c->cmd, &j->helo) || !stralloc_cats(&c->cmd, "\r\n") || !stralloc_0(&c->cmd)) nomem(c) ;
  code = command(c, c->cmd.s) ;
  if (code == 250) { c->ext = ehlo_parse(c->reply.text.s, c->reply.text.len, &c->sizemax) ; return ; }
  c->ext = 0 ;
  c->cmd.s[0] = 'H' ; c->cmd.s[1] = 'E' ;   /* HELO, same argument */
  code = command(c, c->cmd.s) ;
  if (code >= 500) said(c, 'D', "Connected to ", " but my name was rejected") ;
  if (code != 250) said(c, 'Z', "Connected to ", " but my name was rejected") ;
}

/* Required TLS failed on this address: keep why, for the final Z if no address works. */
static int tlsrequired (smtp_t *c, job_t const *j, char const *what, char const *detail)
{
  c->why.len = 0 ;
  if (!stralloc_cats(&c->why, "Connected to ") || !stralloc_cats(&c->why, c->ip) || !stralloc_cats(&c->why, " but ")
   || !stralloc_cats(&c->why, what)
   || (detail && (!stralloc_cats(&c->why, " (") || !stralloc_cats(&c->why, detail) || !stralloc_cats(&c->why, ")")))
   || !stralloc_cats(&c->why, ", and control/tlspolicy requires TLS (") || !stralloc_cats(&c->why, tlspolicy_name(j->policy))
   || !stralloc_cats(&c->why, "). (#4.7.0)") || !stralloc_0(&c->why)) nomem(c) ;
  return SMTP_NEXT ;
}

/* The connection is lost to TLS: required, give the address up; else try it again in the clear. */
static int tlsfailed (smtp_t *c, job_t const *j, char const *what, char const *detail)
{
  if (j->policy >= TLSPOLICY_ENCRYPT) return tlsrequired(c, j, what, detail) ;
  strerr_warnw("TLS with ", c->ip, " failed: ", what, detail ? ": " : "", detail ? detail : "", "; trying again without TLS") ;
  return SMTP_PLAIN ;
}

/* qmail-tls -c on the socket; its first line: "Y" version cipher verified|unverified, or "N" why. */
static int tls_helper (smtp_t *c, job_t const *j, char const *name, int sock)
{
  char secs[UINT_FMT] ;
  char const *argv[10] = { j->tlsprog.s, "-c", "-t", secs, "-n", name } ;
  unsigned int n = 6 ;
  secs[uint_fmt(secs, c->timeout)] = 0 ;
  if (j->policy == TLSPOLICY_VERIFY) argv[n++] = "-v" ;
  if (j->policy == TLSPOLICY_VERIFY && j->ca.len) { argv[n++] = "-A" ; argv[n++] = j->ca.s ; }
  argv[n] = 0 ;
  c->tlspid = tlshelper_spawn(argv, sock, &c->rfd, &c->wfd) ;
  if (c->tlspid < 0) finish(c, 'Z', "Unable to start qmail-tls. (#4.3.0)", "", "") ;
  if (!getline_(c)) return tlsfailed(c, j, "qmail-tls ended without a word", 0) ;
  if (!stralloc_0(&c->line)) nomem(c) ;
  if (c->line.s[0] != 'Y') return tlsfailed(c, j, "the TLS handshake failed", c->line.s[0] == 'N' ? c->line.s + 1 : c->line.s) ;
  if (!stralloc_copys(&c->tlsinfo, c->line.s + 1) || !stralloc_0(&c->tlsinfo)) nomem(c) ;
  return -1 ;
}

/* RFC 3207 after the first EHLO. -1: go on (over TLS, or in the clear when "may" allows it);
   SMTP_NEXT or SMTP_PLAIN: this connection is done. */
static int tls_start (smtp_t *c, job_t const *j, char const *name, int sock)
{
  int required = j->policy >= TLSPOLICY_ENCRYPT, r ;
  if (j->policy == TLSPOLICY_NONE) return -1 ;
  if (!(c->ext & EHLO_STARTTLS))
  {
    if (!required) return -1 ;
    quit(c) ;
    return tlsrequired(c, j, "it does not offer STARTTLS", 0) ;
  }
  if (command(c, "STARTTLS\r\n") != 220)
  {
    if (!required) return -1 ;   /* refused: RFC 3207 lets the session go on in the clear */
    tlsrequired(c, j, "STARTTLS was refused", c->reply.text.s) ;
    quit(c) ;
    return SMTP_NEXT ;
  }
  /* bytes after the 220 came before TLS: an injection (the CVE-2011-0411 class) */
  if (c->pos < c->len) return tlsfailed(c, j, "it sent more after its 220 to STARTTLS", 0) ;
  r = tls_helper(c, j, name, sock) ;
  if (r >= 0) return r ;
  hello(c, j) ;   /* forget what the clear EHLO said */
  return -1 ;
}

/* Write a command that holds a secret, then wipe it. */
static unsigned int secret (smtp_t *c)
{
  unsigned int code ;
  if (!stralloc_0(&c->cmd)) nomem(c) ;
  code = command(c, c->cmd.s) ;
  memset(c->cmd.s, 0, c->cmd.len) ;
  c->cmd.len = 0 ;
  return code ;
}

/* RFC 4954, to a relay control/smtpauth has credentials for: PLAIN, else LOGIN. */
static void auth (smtp_t *c, job_t const *j)
{
  unsigned int code ;
  if (!j->user.len) return ;
  if (!c->tlsinfo.len && j->policy != TLSPOLICY_NONE)
  {
    quit(c) ;
    finish(c, 'Z', "Connected to ", c->ip, " but not over TLS, and my AUTH credentials go in the clear only under tlspolicy none. (#4.7.0)") ;
  }
  if (!(c->ext & EHLO_AUTH)) return ;   /* it asks for no AUTH */
  c->cmd.len = 0 ;
  if (c->ext & EHLO_AUTHPLAIN)
  {
    if (!auth_plain(&c->cmd, j->user.s, j->user.len, j->pass, strlen(j->pass))) nomem(c) ;
    code = secret(c) ;
  }
  else if (c->ext & EHLO_AUTHLOGIN)
  {
    code = command(c, "AUTH LOGIN\r\n") ;
    if (code == 334) { if (!auth_answer(&c->cmd, j->user.s, j->user.len)) nomem(c) ; code = secret(c) ; }
    if (code == 334) { if (!auth_answer(&c->cmd, j->pass, strlen(j->pass))) nomem(c) ; code = secret(c) ; }
  }
  else
  {
    quit(c) ;
    finish(c, 'Z', "Connected to ", c->ip, " but it offers no AUTH mechanism I know (PLAIN, LOGIN). (#4.7.0)") ;
  }
  if (code == 235) { c->authed = 1 ; return ; }
  said(c, code >= 500 ? 'D' : 'Z', "Connected to ", " but my AUTH was rejected") ;
}

/* qmail-tls may still run after a connection that failed: close its pipes and reap it. */
static void hangup (smtp_t *c)
{
  int wstat ;
  if (!c->tlspid) return ;
  fd_close(c->rfd) ;
  fd_close(c->wfd) ;
  wait_pid(c->tlspid, &wstat) ;
  c->tlspid = 0 ;
  c->tlsinfo.len = 0 ;
}

static void catpath (smtp_t *c, char const *verb, char const *addr)
{
  if (!stralloc_cats(&c->cmd, verb) || !address_quote(&c->cmd, addr, strlen(addr)) || !stralloc_catb(&c->cmd, ">", 1))
  {
    if (errno == ENOMEM) nomem(c) ;
    finish(c, 'D', "Unable to write this address in SMTP: ", addr, " (#5.1.3)") ;
  }
}

/* The message, in writes of at least CHUNK bytes: the last piece goes out with the final dot,
   since a separate write of ".\r\n" waits (Nagle) for the peer's delayed ACK of the one before. */
static void body (smtp_t *c, job_t const *j)
{
  char buf[CHUNK] ;
  int bol = 1 ;
  size_t off = 0 ;
  c->cmd.len = 0 ;
  for (;;)
  {
    ssize_t r ;
    if (j->inmem) { r = j->mem.len - off > CHUNK ? CHUNK : j->mem.len - off ; memcpy(buf, j->mem.s + off, r) ; off += r ; }
    else r = fd_read(0, buf, sizeof buf) ;
    if (r < 0) finish(c, 'Z', "Unable to read the message. (#4.3.0)", "", "") ;
    if (!smtpdata_cat(&c->cmd, buf, r, &bol) || (!r && !smtpdata_end(&c->cmd, bol))) nomem(c) ;
    if (r && c->cmd.len < CHUNK) continue ;
    if (!sendall(c, c->cmd.s, c->cmd.len)) died(c) ;
    c->cmd.len = 0 ;
    if (!r) return ;
  }
}

/* MAIL, RCPT... and DATA: in one write when the peer offers PIPELINING. */
static void envelope (smtp_t *c, job_t const *j)
{
  int pipe = !!(c->ext & EHLO_PIPELINING), any = 0 ;
  unsigned int code ;
  char num[UINT64_FMT] ;
  c->cmd.len = 0 ;
  catpath(c, "MAIL FROM:<", j->sender) ;
  if (c->ext & EHLO_SIZE && (!stralloc_cats(&c->cmd, " SIZE=") || !stralloc_catb(&c->cmd, num, uint64_fmt(num, j->size)))) nomem(c) ;
  if (c->ext & EHLO_8BITMIME && !stralloc_cats(&c->cmd, " BODY=8BITMIME")) nomem(c) ;
  if (!stralloc_cats(&c->cmd, "\r\n")) nomem(c) ;
  for (unsigned int i = 0 ; pipe && i < j->n ; i++) { catpath(c, "RCPT TO:<", j->rcpt[i]) ; if (!stralloc_cats(&c->cmd, "\r\n")) nomem(c) ; }
  if (pipe && !stralloc_cats(&c->cmd, "DATA\r\n")) nomem(c) ;
  if (!sendall(c, c->cmd.s, c->cmd.len)) died(c) ;
  code = getreply(c) ;
  if (!code) died(c) ;
  if (code >= 500) said(c, 'D', "Connected to ", " but sender was rejected") ;
  if (code >= 400) said(c, 'Z', "Connected to ", " but sender was rejected") ;
  for (unsigned int i = 0 ; i < j->n ; i++)
  {
    if (!pipe) { c->cmd.len = 0 ; catpath(c, "RCPT TO:<", j->rcpt[i]) ; if (!stralloc_cats(&c->cmd, "\r\n") || !stralloc_0(&c->cmd)) nomem(c) ; code = command(c, c->cmd.s) ; }
    else if (!(code = getreply(c))) died(c) ;
    if (code >= 300 && (!stralloc_cats(&c->report, code >= 500 ? "h" : "s") || !stralloc_cats(&c->report, c->ip)
     || !stralloc_cats(&c->report, " does not like recipient.\nRemote host said: ")))  nomem(c) ;
    if (code < 300 && !stralloc_cats(&c->report, "r")) nomem(c) ;
    if (!stralloc_catb(&c->report, c->reply.text.s, c->reply.text.len) || !stralloc_0(&c->report)) nomem(c) ;
    any |= code < 300 ;
  }
  code = pipe ? getreply(c) : any ? command(c, "DATA\r\n") : 0 ;
  if (!any)
  {
    if (code == 354 && sendall(c, ".\r\n", 3)) getreply(c) ;   /* RFC 2920 §3.1: a DATA nobody wants */
    quit(c) ;
    finish(c, 'D', "Giving up on ", c->ip, ".") ;
  }
  if (!code) died(c) ;
  if (code >= 500) said(c, 'D', "", " failed on DATA command") ;
  if (code != 354) said(c, 'Z', "", " failed on DATA command") ;
}

/* The K record: the peer's words, and how the message went (TLS, AUTH). */
static void accepted (smtp_t *c, job_t const *j) gccattr_noreturn ;
static void accepted (smtp_t *c, job_t const *j)
{
  stralloc t = STRALLOC_ZERO ;
  if (!stralloc_cats(&t, " accepted message")
   || (c->tlsinfo.len && (!stralloc_cats(&t, " over TLS (") || !stralloc_cats(&t, c->tlsinfo.s) || !stralloc_cats(&t, ")")))
   || (c->authed && (!stralloc_cats(&t, ", authenticated as ") || !stralloc_cats(&t, j->user.s)))
   || !stralloc_0(&t)) nomem(c) ;
  said(c, 'K', "", t.s) ;
}

/* One connection. Returns only to try the next address (SMTP_NEXT: a greeting that failed for
   now, or required TLS that failed) or the same one in the clear (SMTP_PLAIN). */
static int smtp (smtp_t *c, job_t const *j, char const *name, int sock, int plain)
{
  unsigned int code = getreply(c) ;
  if (!code) return SMTP_NEXT ;
  if (code >= 400 && code < 500) { quit(c) ; return SMTP_NEXT ; }
  if (code != 220) said(c, 'D', "Connected to ", " but greeting failed") ;
  hello(c, j) ;
  if (!plain)
  {
    int r = tls_start(c, j, name, sock) ;
    if (r >= 0) return r ;
  }
  auth(c, j) ;
  if (c->ext & EHLO_SIZE && c->sizemax && j->size > c->sizemax)
  {
    quit(c) ;
    finish(c, 'D', "Connected to ", c->ip, " but the message is bigger than its SIZE limit. (#5.3.4)") ;
  }
  envelope(c, j) ;
  body(c, j) ;
  code = getreply(c) ;
  if (!code) died(c) ;
  if (code >= 500) said(c, 'D', "", " failed after I sent the message") ;
  if (code >= 400) said(c, 'Z', "", " failed after I sent the message") ;
  accepted(c, j) ;
}

/* A connected socket, or -1; the dead-host table learns either way. */
static int dial (smtp_t *c, job_t const *j, ip46full const *ip, uint16_t port)
{
  tain deadline ;
  int fd = socket_tcp46_nbcoe(ip->is6) ;
  if (fd < 0) finish(c, 'Z', "Unable to create a socket. (#4.3.0)", "", "") ;
  c->ip[ip46full_fmt(c->ip, ip)] = 0 ;
  tain_now_g() ;
  tain_addsec_g(&deadline, j->timeoutconnect) ;
  if (!socket_deadlineconnstamp46_g(fd, ip, port, &deadline))
  {
    tcpto_record(TCPTO, ip, 1) ;
    fd_close(fd) ;
    return -1 ;
  }
  tcpto_record(TCPTO, ip, 0) ;
  return fd ;
}

/* Try each address in order; the dead-host table skips the ones that keep failing. */
static void deliver (smtp_t *c, job_t const *j, dnsip_t const *v, size_t n, uint16_t port)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    if (tcpto_check(TCPTO, &v[i].ip)) continue ;
    for (int plain = 0 ; plain < 2 ; plain++)
    {
      int fd = dial(c, j, &v[i].ip, port), r ;
      if (fd < 0) break ;
      c->rfd = c->wfd = fd ;
      c->pos = c->len = 0 ;
      r = smtp(c, j, v[i].name, fd, plain) ;
      hangup(c) ;
      fd_close(fd) ;
      if (r != SMTP_PLAIN) break ;
    }
  }
  if (c->why.len) finish(c, 'Z', c->why.s, "", "") ;
  finish(c, 'Z', "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", "", "") ;
}

static void ctlfail (smtp_t *c, char const *name) gccattr_noreturn ;
static void ctlfail (smtp_t *c, char const *name)
{
  finish(c, 'Z', "Unable to read control/", name, ". (#4.3.0)") ;
}

/* One address to try, named (for TLS) by name, or by itself when name is 0. */
static void addip (smtp_t *c, genalloc *v, ip46full const *ip, char const *name)
{
  dnsip_t d = { .ip = *ip, .pref = 0 } ;
  size_t len = name ? strlen(name) : ip46full_fmt(d.name, ip) ;
  if (len > DNS_NAMEMAX) len = DNS_NAMEMAX ;
  if (name) memcpy(d.name, name, len) ;
  d.name[len] = 0 ;
  if (!genalloc_append(dnsip_t, v, &d)) nomem(c) ;
}

/* Where to go: smtproutes, an address literal, or MX; our own MX preference and lower dropped.
   j->relay gets the route's relay as written (AUTH credentials are looked up by it). */
static uint16_t targets (smtp_t *c, job_t *j, genalloc *v, char const *me)
{
  stralloc routes = STRALLOC_ZERO ;
  relay_t relay = RELAY_ZERO ;
  size_t n ;
  unsigned int mepref = 1U << 31 ;
  int r ;
  if (control_readlist(&routes, &n, "smtproutes") < 0) ctlfail(c, "smtproutes") ;
  r = route_find(&relay, routes.s, n, j->host) ;
  if (r < 0) ctlfail(c, "smtproutes") ;
  if (r && relay.host.len)
  {
    genalloc ips = GENALLOC_ZERO ;
    if (!stralloc_copy(&j->relay, &relay.host) || !stralloc_0(&j->relay)) nomem(c) ;
    j->relay.len-- ;
    if (relay.isip) { addip(c, v, &relay.ip, 0) ; return relay.port ; }
    r = dns_ip(&ips, relay.host.s) ;
    if (r == DNS_TEMP) finish(c, 'Z', "Temporary failure looking up the relay ", relay.host.s, ". (#4.4.3)") ;
    if (r == DNS_NX || !genalloc_len(ip46full, &ips)) finish(c, 'D', "Sorry, I couldn't find the relay ", relay.host.s, " in smtproutes. (#5.4.4)") ;
    for (size_t i = 0 ; i < genalloc_len(ip46full, &ips) ; i++) addip(c, v, genalloc_s(ip46full, &ips) + i, relay.host.s) ;
    genalloc_free(ip46full, &ips) ;
    return relay.port ;
  }
  if (host_literal(j->host, strlen(j->host), &relay.ip) && j->host[0] == '[') addip(c, v, &relay.ip, 0) ;
  else
  {
    r = dns_mxip(v, j->host, me, &mepref) ;
    if (r == DNS_TEMP) finish(c, 'Z', "Temporary DNS failure looking up ", j->host, ". (#4.4.3)") ;
    if (r == DNS_NX) finish(c, 'D', "Sorry, I couldn't find any host named ", j->host, ". (#5.1.2)") ;
  }
  for (size_t i = 0 ; i < genalloc_len(dnsip_t, v) ; i++)
    if (genalloc_s(dnsip_t, v)[i].pref < mepref && ipme_is(&genalloc_s(dnsip_t, v)[i].ip)) mepref = genalloc_s(dnsip_t, v)[i].pref ;
  for (n = 0 ; n < genalloc_len(dnsip_t, v) && genalloc_s(dnsip_t, v)[n].pref < mepref ; n++) ;
  if (!n && mepref != 1U << 31)
    finish(c, 'D', "Sorry. Although I'm listed as a best-preference MX or A for that host,\n"
           "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)", "", "") ;
  if (!n) finish(c, 'D', "Sorry, I couldn't find a mail exchanger or IP address for ", j->host, ". (#5.4.4)") ;
  genalloc_setlen(dnsip_t, v, n) ;
  stralloc_free(&routes) ;
  stralloc_free(&relay.host) ;
  return SMTP_PORT ;
}

/* control/tlspolicy for the domain, control/tlsca, and control/smtpauth for the relay. */
static void policies (smtp_t *c, job_t *j)
{
  stralloc items = STRALLOC_ZERO ;
  size_t n, ulen ;
  char const *user, *prog = getenv("QMAILTLS") ;
  int r ;
  if (control_readlist(&items, &n, "tlspolicy") < 0) ctlfail(c, "tlspolicy") ;
  j->policy = tlspolicy_find(items.s, n, j->host) ;
  if (j->policy < 0) ctlfail(c, "tlspolicy") ;
  stralloc_free(&items) ;
  if (control_readline(&j->ca, "tlsca", "", 0) < 0) ctlfail(c, "tlsca") ;
  if (prog && home_env_trusted() ? !stralloc_cats(&j->tlsprog, prog)
      : !stralloc_cats(&j->tlsprog, home_dir()) || !stralloc_cats(&j->tlsprog, "/bin/qmail-tls")) nomem(c) ;
  if (!stralloc_0(&j->tlsprog)) nomem(c) ;
  if (!j->relay.len) return ;   /* AUTH only to a relay that smtproutes names */
  if (control_readlist(&j->auth, &n, "smtpauth") < 0) ctlfail(c, "smtpauth") ;
  r = smtpauth_find(j->auth.s, n, j->relay.s, &user, &ulen, &j->pass) ;
  if (r < 0) ctlfail(c, "smtpauth") ;
  if (r && (!stralloc_catb(&j->user, user, ulen) || !stralloc_0(&j->user))) nomem(c) ;
  if (r) j->user.len-- ;
}

static void setup (smtp_t *c, job_t *j, stralloc *me)
{
  unsigned long u ;
  struct stat st ;
  if (control_readline(me, "me", "localhost", 0) < 0) ctlfail(c, "me") ;
  case_lowerb(me->s, me->len) ;
  if (control_readline(&j->helo, "helohost", "localhost", CONTROL_ME | CONTROL_ENVOK) < 0) ctlfail(c, "helohost") ;
  if (control_readulong(&u, "timeoutconnect", 60, CONTROL_ENVOK) < 0 || !u) ctlfail(c, "timeoutconnect") ;
  j->timeoutconnect = u > 86400 ? 86400 : u ;
  if (control_readulong(&u, "timeoutremote", 1200, CONTROL_ENVOK) < 0 || !u) ctlfail(c, "timeoutremote") ;
  c->timeout = u > 86400 ? 86400 : u ;
  if (fstat(0, &st) == 0 && S_ISREG(st.st_mode))
  {
    off_t here = lseek(0, 0, SEEK_CUR) ;
    j->size = here >= 0 && here <= st.st_size ? (uint64_t)(st.st_size - here) : 0 ;
    return ;
  }
  for (;;)
  {
    ssize_t r ;
    if (!stralloc_readyplus(&j->mem, CHUNK)) nomem(c) ;
    r = fd_read(0, j->mem.s + j->mem.len, CHUNK) ;
    if (r < 0) finish(c, 'Z', "Unable to read the message. (#4.3.0)", "", "") ;
    if (!r) break ;
    j->mem.len += r ;
  }
  j->inmem = 1 ;
  j->size = j->mem.len ;
}

int main (int argc, char const *const *argv)
{
  static smtp_t c = { .rfd = -1, .wfd = -1 } ;
  job_t j = { .helo = STRALLOC_ZERO, .mem = STRALLOC_ZERO } ;
  stralloc me = STRALLOC_ZERO ;
  genalloc v = GENALLOC_ZERO ;
  uint16_t port ;
  PROG = "qmail-remote" ;
  if (argc < 4) strerr_dieusage(QX_PERM, USAGE) ;
  j.host = argv[1] ;
  j.sender = argv[2] ;
  j.rcpt = argv + 3 ;
  j.n = argc - 3 ;
  sig_ignore(SIGPIPE) ;
  if (chdir(home_dir()) < 0) finish(&c, 'Z', "Unable to switch to the home directory. (#4.3.0)", "", "") ;
  control_list() ;   /* every control file is read below, once */
  setup(&c, &j, &me) ;
  port = targets(&c, &j, &v, me.s) ;
  policies(&c, &j) ;
  control_unlist() ;
  deliver(&c, &j, genalloc_s(dnsip_t, &v), genalloc_len(dnsip_t, &v), port) ;
}
