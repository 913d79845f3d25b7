/* smtpd.h: qmail-smtpd's session: configuration, the client connection (timed buffered I/O on
   two fds, so a TLS helper can later hand over other fds), replies and log lines, the
   transaction, and the message's way into qmail-queue. The command handlers are in
   qmail-smtpd.c; this is smtpd-session-core.c. */
#ifndef QM_SMTPD_H
#define QM_SMTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <skalibs/buffer.h>
#include <skalibs/cdb.h>
#include <skalibs/gccattributes.h>
#include <skalibs/stralloc.h>
#include "address.h"
#include "rewrite.h"
#include "smtpd-core.h"

#define SMTP_LINEMAX 2048     /* a command line, CRLF included (RFC 5321 says 512 at least) */
#define SMTP_ERRORMAX 20      /* bad commands before we hang up */

typedef struct smtpd_conf_s smtpd_conf_t, *smtpd_conf_t_ref ;
struct smtpd_conf_s
{
  stralloc me, greeting, localiphost ;
  stralloc rcpthosts, badmailfrom ;   /* NUL-terminated entries */
  size_t nrcpthosts, nbadmailfrom ;
  cdb mrh ;                           /* control/morercpthosts.cdb */
  int havemrh ;
  uint64_t databytes ;                /* 0: no limit */
  unsigned long timeout ;             /* seconds per read or write */
  unsigned long maxrcpt ;
  int rcptcheck ;
  rewrite_t rw ;                      /* locals and virtualdomains, for rcptcheck */
  char const *relayclient ;           /* $RELAYCLIENT, or 0 */
  char const *const *checkpw ;        /* checkpassword argv for AUTH, or 0: no AUTH */
  int authnotls ;                     /* control/authnotls: AUTH offered without TLS */
  int authrequired ;                  /* control/authrequired: no MAIL before AUTH (587) */
  char const *remoteip, *remotehost, *remoteinfo, *localip ;
} ;
#define SMTPD_CONF_ZERO { .me = STRALLOC_ZERO, .greeting = STRALLOC_ZERO, .localiphost = STRALLOC_ZERO, \
  .rcpthosts = STRALLOC_ZERO, .badmailfrom = STRALLOC_ZERO, .nrcpthosts = 0, .nbadmailfrom = 0, \
  .mrh = CDB_ZERO, .havemrh = 0, .databytes = 0, .timeout = 1200, .maxrcpt = 0, .rcptcheck = 0, \
  .rw = REWRITE_ZERO, .relayclient = 0, .checkpw = 0, .authnotls = 0, .authrequired = 0, .remoteip = 0, .remotehost = 0, .remoteinfo = 0, .localip = 0 }

typedef struct smtp_s smtp_t, *smtp_t_ref ;
struct smtp_s
{
  smtpd_conf_t *c ;
  int rfd, wfd ;                /* the client */
  int rmode, wmode ;            /* how they time out: TIMEDIO_SOCKET or TIMEDIO_POLL */
  buffer in, out ;
  char inbuf[8192], outbuf[4096] ;
  stralloc line, helo, sender, rcpt, rcpts, tmp, log ;
  char const *verb ;            /* the current command, for log lines */
  unsigned int errors ;
  int esmtp ;                   /* EHLO, not HELO */
  int mail ;                    /* MAIL accepted */
  int rcptseen ;                /* some RCPT tried in this transaction */
  size_t nrcpt ;                /* accepted recipients in rcpts */
  smtpd_params_t params ;       /* of MAIL */
  int chunking ;                /* inside a BDAT transfer */
  /* TLS through qmail-tls: $SSLCTLFD etc., -1 when not offered */
  int tlsctl, tlsread, tlswrite ;
  int tls ;                     /* the connection is encrypted */
  int needehlo ;                /* after STARTTLS: nothing but EHLO, HELO, NOOP, RSET, QUIT */
  stralloc tlsinfo ;            /* protocol and cipher */
  stralloc authuser ;           /* after a successful AUTH, else empty */
  unsigned int authfails ;
  /* the message on its way to qmail-queue */
  smtpd_data_t data ;
  pid_t qqpid ;                 /* 0: none */
  int msgfd, envfd, errfd ;
  int qqwrite ;                 /* errno of a failed write to qmail-queue, 0 if none */
} ;
#define SMTP_ZERO { .c = 0, .rfd = 0, .wfd = 1, .line = STRALLOC_ZERO, .helo = STRALLOC_ZERO, \
  .sender = STRALLOC_ZERO, .rcpt = STRALLOC_ZERO, .rcpts = STRALLOC_ZERO, .tmp = STRALLOC_ZERO, \
  .log = STRALLOC_ZERO, .verb = "", .errors = 0, .esmtp = 0, .mail = 0, .rcptseen = 0, .nrcpt = 0, \
  .params = SMTPD_PARAMS_ZERO, .chunking = 0, \
  .tlsctl = -1, .tlsread = -1, .tlswrite = -1, .tls = 0, .needehlo = 0, .tlsinfo = STRALLOC_ZERO, \
  .authuser = STRALLOC_ZERO, .authfails = 0, .qqpid = 0, .msgfd = -1, .envfd = -1, .errfd = -1, .qqwrite = 0 }

typedef struct smtp_cmd_s smtp_cmd_t, *smtp_cmd_t_ref ;
struct smtp_cmd_s
{
  char const *verb ;   /* lowercase */
  void (*f) (smtp_t *, char *, size_t) ;   /* the argument, NUL-terminated, and its length */
} ;

/* setup */
extern void smtp_init (smtp_t *s, int rfd, int wfd) ;
extern void smtp_readconf (smtpd_conf_t *c) ;
extern void smtp_greet (smtp_t *s) ;
/* read one command and run its handler */
extern void smtp_command (smtp_t *s, smtp_cmd_t const *table) ;

/* replies: smtp_putreply sends a+b+CRLF; smtp_reply also logs it with the command, as a
   rejection; smtp_replyaddr adds the reason of an address error */
extern void smtp_putreply (smtp_t *s, char const *a, char const *b) ;
extern void smtp_reply (smtp_t *s, char const *text, char const *verb, char const *arg) ;
extern void smtp_replyaddr (smtp_t *s, char const *text, address_err_t e, char const *verb, char const *arg) ;
extern void smtp_ehloreply (smtp_t *s) ;
extern void smtp_flush (smtp_t *s) ;
/* one log line: "qmail-smtpd: pid P from IP: " a b c d */
extern void smtp_log (smtp_t *s, char const *a, char const *b, char const *c, char const *d) ;
extern void smtp_fatal (smtp_t *s, char const *what) gccattr_noreturn ;

extern int smtp_sethelo (smtp_t *s, char const *arg, size_t len) ;
extern void smtp_reset (smtp_t *s) ;   /* end the transaction, aborting a message in progress */
extern int smtp_has8bit (char const *s, size_t len) ;
extern int smtp_sameip (char const *literal, char const *ip) ;
extern int smtp_rcptexists (smtp_t *s) ;  /* for s->rcpt: 1, 0, -1 as smtpd_rcptexists */

/* STARTTLS: hand the connection to qmail-tls (the 220 reply is sent here); dies if it fails */
extern void smtp_starttls (smtp_t *s) ;
/* AUTH offered now? */
extern int smtp_authoffered (smtp_t const *s) ;
/* AUTH mech [initial-response]: the whole exchange, replies included (smtpd-auth-core.c) */
extern void smtp_auth (smtp_t *s, char *arg, size_t len) ;
/* one line from the client, CRLF removed, NUL-terminated in s->line; 0 if too long */
extern int smtp_readline (smtp_t *s) ;

/* the message: start qmail-queue (0 and a reply sent if it cannot), read DATA up to its end,
   read one BDAT chunk, or skip one; finish: end the message, reply, reset the transaction */
extern int smtp_msgstart (smtp_t *s, unsigned int mode) ;
extern void smtp_msgdata (smtp_t *s) ;
extern void smtp_msgchunk (smtp_t *s, uint64_t size) ;
extern void smtp_skip (smtp_t *s, uint64_t size) ;
extern void smtp_msgfinish (smtp_t *s) ;

#endif
