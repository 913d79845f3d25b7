/* qmail-smtpd: receive mail over SMTP (RFC 5321, with PIPELINING, SIZE, 8BITMIME,
   ENHANCEDSTATUSCODES, SMTPUTF8 and CHUNKING) under tcpserver, and hand each message to
   qmail-queue ($QMAILQUEUE). fd 0/1: the client (a socket or pipes); fd 2: one log line per
   rejection and per accepted message. Runs as qmaild. Exits 0 after QUIT or when the client
   goes away, 111 on a fatal error (after a 421 reply when it can). */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/unix-timed.h>
#include "address.h"
#include "control.h"
#include "exitcode.h"
#include "home.h"
#include "qqspawn.h"
#include "smtpd.h"

#define USAGE "qmail-smtpd [ checkpassword subprogram... ]"

static void dienomem (smtp_t *s)
{
  smtp_fatal(s, "allocate memory") ;
}

/* 1 if the literal domain of addr ("[1.2.3.4]", "[IPv6:...]") is our local address */
static int islocalliteral (smtp_t *s, char const *addr)
{
  char const *dom = strrchr(addr, '@') ;
  return dom && s->c->localip && smtp_sameip(dom + 1, s->c->localip) ;
}

static void smtp_helo (smtp_t *s, char *arg, size_t len)
{
  if (!len) { smtp_reply(s, "501 5.5.4 HELO requires a domain name", "HELO", "") ; return ; }
  smtp_reset(s) ;
  s->needehlo = 0 ;
  if (!smtp_sethelo(s, arg, len)) dienomem(s) ;
  s->esmtp = 0 ;
  smtp_putreply(s, "250 ", s->c->me.s) ;
}

static void smtp_ehlo (smtp_t *s, char *arg, size_t len)
{
  if (!len) { smtp_reply(s, "501 5.5.4 EHLO requires a domain name", "EHLO", "") ; return ; }
  smtp_reset(s) ;
  s->needehlo = 0 ;
  if (!smtp_sethelo(s, arg, len)) dienomem(s) ;
  s->esmtp = 1 ;
  smtp_ehloreply(s) ;
}

static void smtp_mail (smtp_t *s, char *arg, size_t len)
{
  smtpd_params_t p = SMTPD_PARAMS_ZERO ;
  char const *bad = "" ;
  size_t params ;
  address_err_t e ;
  if (s->needehlo) { smtp_reply(s, "503 5.5.1 send EHLO first", "MAIL", arg) ; return ; }
  if (s->mail) { smtp_reply(s, "503 5.5.1 nested MAIL command", "MAIL", arg) ; return ; }
  if (s->c->authrequired && !s->authuser.len) { smtp_reply(s, "530 5.7.0 authentication required", "MAIL", arg) ; return ; }
  if (len < 5 || strncasecmp(arg, "FROM:", 5)) { smtp_reply(s, "501 5.5.4 syntax: MAIL FROM:<address>", "MAIL", arg) ; return ; }
  e = address_parse(&s->sender, &params, arg + 5, len - 5, ADDRESS_ALLOWNULL | ADDRESS_ALLOWBARE | ADDRESS_SMTPUTF8) ;
  if (e == ADDRESS_NOMEM) dienomem(s) ;
  if (e) { smtp_replyaddr(s, "501 5.1.7 bad sender address syntax: ", e, "MAIL", arg) ; return ; }
  params += 5 ;
  if (params < len && !s->esmtp) { smtp_reply(s, "555 5.5.4 parameters need EHLO", "MAIL", arg) ; return ; }
  switch (smtpd_params(&p, arg + params, len - params, 1, &bad))
  {
    case SMTPD_PARAM_SYNTAX : smtp_reply(s, "501 5.5.4 bad parameter syntax", "MAIL", arg) ; return ;
    case SMTPD_PARAM_UNKNOWN : smtp_reply(s, "555 5.5.4 unsupported parameter", "MAIL", arg) ; return ;
  }
  if (!p.utf8 && smtp_has8bit(s->sender.s, s->sender.len))
  {
    smtp_reply(s, "553 5.6.7 a non-ASCII address needs the SMTPUTF8 parameter", "MAIL", arg) ;
    return ;
  }
  if (s->c->databytes && p.size > s->c->databytes)
  {
    smtp_reply(s, "552 5.3.4 sorry, that message size exceeds my databytes limit", "MAIL", arg) ;
    return ;
  }
  if (smtpd_badmailfrom(s->c->badmailfrom.s, s->c->nbadmailfrom, s->sender.s))
  {
    smtp_reply(s, "553 5.7.1 sorry, your envelope sender is in my badmailfrom list", "MAIL", arg) ;
    return ;
  }
  s->params = p ;
  s->mail = 1 ;
  s->rcptseen = 0 ;
  smtp_putreply(s, "250 2.1.0 ok", "") ;
}

/* Where recipient addr may go: 1 accept, 0 refused (reply sent) */
static int rcptallowed (smtp_t *s, char const *arg)
{
  if (!s->c->relayclient && !s->authuser.len)
  {
    int r = smtpd_rcpthosts(s->c->rcpthosts.s, s->c->nrcpthosts, s->c->havemrh ? &s->c->mrh : 0, s->rcpt.s) ;
    if (r < 0) { smtp_reply(s, "451 4.3.0 unable to read control/morercpthosts.cdb", "RCPT", arg) ; return 0 ; }
    if (!r)
    {
      smtp_reply(s, "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts", "RCPT", arg) ;
      return 0 ;
    }
  }
  else if (s->c->relayclient)
  {
    if (!stralloc_cats(&s->rcpt, s->c->relayclient) || !stralloc_0(&s->rcpt)) dienomem(s) ;
    s->rcpt.len-- ;
  }
  if (s->c->rcptcheck)
  {
    int r = smtp_rcptexists(s) ;
    if (r < 0) { smtp_reply(s, "451 4.3.0 unable to check that recipient, try again later", "RCPT", arg) ; return 0 ; }
    if (!r) { smtp_reply(s, "550 5.1.1 sorry, no mailbox here by that name", "RCPT", arg) ; return 0 ; }
  }
  return 1 ;
}

static void smtp_rcpt (smtp_t *s, char *arg, size_t len)
{
  smtpd_params_t p = SMTPD_PARAMS_ZERO ;
  char const *bad = "" ;
  size_t params ;
  address_err_t e ;
  if (!s->mail || s->chunking) { smtp_reply(s, "503 5.5.1 MAIL first", "RCPT", arg) ; return ; }
  s->rcptseen = 1 ;
  if (len < 3 || strncasecmp(arg, "TO:", 3)) { smtp_reply(s, "501 5.5.4 syntax: RCPT TO:<address>", "RCPT", arg) ; return ; }
  e = address_parse(&s->rcpt, &params, arg + 3, len - 3, ADDRESS_ALLOWBARE | (s->params.utf8 ? ADDRESS_SMTPUTF8 : 0)) ;
  if (e == ADDRESS_NOMEM) dienomem(s) ;
  if (e) { smtp_replyaddr(s, "501 5.1.3 bad recipient address syntax: ", e, "RCPT", arg) ; return ; }
  params += 3 ;
  if (smtpd_params(&p, arg + params, len - params, 0, &bad))
  {
    smtp_reply(s, "555 5.5.4 unsupported parameter", "RCPT", arg) ;
    return ;
  }
  if (s->nrcpt >= s->c->maxrcpt) { smtp_reply(s, "452 4.5.3 too many recipients", "RCPT", arg) ; return ; }
  if (islocalliteral(s, s->rcpt.s))
  {
    s->rcpt.len = strrchr(s->rcpt.s, '@') + 1 - s->rcpt.s ;
    if (!stralloc_cat(&s->rcpt, &s->c->localiphost) || !stralloc_0(&s->rcpt)) dienomem(s) ;
    s->rcpt.len-- ;
  }
  if (!rcptallowed(s, arg)) return ;
  if (!stralloc_catb(&s->rcpts, s->rcpt.s, s->rcpt.len + 1)) dienomem(s) ;
  s->nrcpt++ ;
  smtp_putreply(s, "250 2.1.5 ok", "") ;
}

/* Checks common to DATA and the first BDAT: 1 if a message may start */
static int canstart (smtp_t *s, char const *verb, char const *arg)
{
  if (!s->mail) { smtp_reply(s, "503 5.5.1 MAIL first", verb, arg) ; return 0 ; }
  if (!s->nrcpt)
  {
    smtp_reply(s, s->rcptseen ? "554 5.5.1 no valid recipients" : "503 5.5.1 RCPT first", verb, arg) ;
    return 0 ;
  }
  return 1 ;
}

static void smtp_data (smtp_t *s, char *arg, size_t len)
{
  if (s->chunking) { smtp_reply(s, "503 5.5.1 DATA inside a BDAT transfer", "DATA", arg) ; return ; }
  if (len) { smtp_reply(s, "501 5.5.4 DATA takes no argument", "DATA", arg) ; return ; }
  if (!canstart(s, "DATA", arg)) return ;
  if (!smtp_msgstart(s, SMTPD_DATA_DOT)) return ;
  smtp_putreply(s, "354 go ahead, end with <CRLF>.<CRLF>", "") ;
  smtp_msgdata(s) ;
  smtp_msgfinish(s) ;
}

static void smtp_bdat (smtp_t *s, char *arg, size_t len)
{
  uint64_t size ;
  size_t n = uint64_scan(arg, &size) ;
  int last = 0 ;
  if (n && n < len) last = !strcasecmp(arg + n, " LAST") ;
  if (!n || n > 19 || (n < len && !last))
  {
    smtp_reply(s, "501 5.5.4 syntax: BDAT size [LAST]", "BDAT", arg) ;
    return ;
  }
  if (!s->chunking && !canstart(s, "BDAT", arg)) { smtp_skip(s, size) ; return ; }
  if (!s->chunking && !smtp_msgstart(s, SMTPD_DATA_RAW)) { smtp_skip(s, size) ; return ; }
  s->chunking = 1 ;
  smtp_msgchunk(s, size) ;
  if (last) smtp_msgfinish(s) ;
  else if (smtpd_data_toobig(&s->data)) smtp_msgfinish(s) ;
  else
  {
    char fmt[UINT64_FMT] ;
    fmt[uint64_fmt(fmt, size)] = 0 ;
    smtp_putreply(s, "250 2.0.0 ok, octets received: ", fmt) ;
  }
}

static void smtp_rset (smtp_t *s, char *arg, size_t len)
{
  (void)arg ; (void)len ;
  smtp_reset(s) ;
  smtp_putreply(s, "250 2.0.0 flushed", "") ;
}

static void smtp_noop (smtp_t *s, char *arg, size_t len)
{
  (void)arg ; (void)len ;
  smtp_putreply(s, "250 2.0.0 ok", "") ;
}

static void smtp_vrfy (smtp_t *s, char *arg, size_t len)
{
  (void)arg ; (void)len ;
  smtp_putreply(s, "252 2.0.0 send some mail, I'll try my best", "") ;
}

static void smtp_help (smtp_t *s, char *arg, size_t len)
{
  (void)arg ; (void)len ;
  smtp_putreply(s, "214 2.0.0 qmail-smtpd: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT", "") ;
}

static void smtp_quit (smtp_t *s, char *arg, size_t len)
{
  (void)arg ; (void)len ;
  smtp_putreply(s, "221 2.0.0 ", s->c->me.s) ;
  smtp_flush(s) ;
  smtp_reset(s) ;
  _exit(0) ;
}

static void smtp_tls (smtp_t *s, char *arg, size_t len)
{
  if (s->tls) { smtp_reply(s, "503 5.5.1 TLS is already active", "STARTTLS", arg) ; return ; }
  if (s->tlsctl < 0) { smtp_reply(s, "502 5.5.1 STARTTLS not available", "STARTTLS", arg) ; return ; }
  if (len) { smtp_reply(s, "501 5.5.4 STARTTLS takes no argument", "STARTTLS", arg) ; return ; }
  smtp_starttls(s) ;
}

static void smtp_unimpl (smtp_t *s, char *arg, size_t len)
{
  (void)len ;
  smtp_reply(s, "502 5.5.1 command not implemented", s->verb, arg) ;
}

/* The command table */
static smtp_cmd_t const commands[] =
{
  { "helo", &smtp_helo },
  { "ehlo", &smtp_ehlo },
  { "mail", &smtp_mail },
  { "rcpt", &smtp_rcpt },
  { "data", &smtp_data },
  { "bdat", &smtp_bdat },
  { "rset", &smtp_rset },
  { "noop", &smtp_noop },
  { "vrfy", &smtp_vrfy },
  { "help", &smtp_help },
  { "quit", &smtp_quit },
  { "expn", &smtp_unimpl },
  { "turn", &smtp_unimpl },
  { "etrn", &smtp_unimpl },
  { "starttls", &smtp_tls },
  { "auth", &smtp_auth },
  { 0, 0 }
} ;

int main (int argc, char const *const *argv)
{
  smtpd_conf_t c = SMTPD_CONF_ZERO ;
  smtp_t s = SMTP_ZERO ;
  PROG = "qmail-smtpd" ;
  if (argc > 1 && argv[1][0] == '-') strerr_dieusage(100, USAGE) ;
  if (!sig_ignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
  sig_restore(SIGCHLD) ;   /* a parent that ignored it would make qmail-queue's exit code vanish */
  s.c = &c ;
  if (argc > 1) c.checkpw = argv + 1 ;
  smtp_init(&s, 0, 1) ;
  home_chdir() ;
  smtp_readconf(&c) ;
  smtp_greet(&s) ;
  for (;;) smtp_command(&s, commands) ;
}
