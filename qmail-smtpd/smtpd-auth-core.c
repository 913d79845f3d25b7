/* smtpd-auth-core.c: SMTP AUTH (RFC 4954) for qmail-smtpd, mechanisms PLAIN and LOGIN. The
   credentials are checked by a checkpassword program (qmail-checkpw or any other), the argv
   given to qmail-smtpd: fd 3 gets "user NUL password NUL NUL" (no timestamp); exit 0 means
   yes, 111 try later, anything else no. Its fds 0 and 1 are /dev/null. Passwords are wiped
   from memory once checked; log lines name the mechanism and the user, never the password. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include "base64.h"
#include "smtpd.h"

#define AUTHFAILMAX 3

static void wipe (stralloc *sa)
{
  if (sa->s) memset(sa->s, 0, sa->a) ;
  stralloc_free(sa) ;
}

/* checkpassword's exit code, or -1 if it could not run or died */
static int checkpassword (smtp_t *s, char const *user, char const *pass)
{
  stralloc in = STRALLOC_ZERO ;
  int p[2], wstat, ok ;
  pid_t pid ;
  ok = stralloc_cats(&in, user) && stralloc_0(&in) && stralloc_cats(&in, pass) && stralloc_0(&in) && stralloc_0(&in) ;
  if (!ok || pipecoe(p) < 0) { wipe(&in) ; return -1 ; }
  pid = fork() ;
  if (pid < 0) { wipe(&in) ; close(p[0]) ; close(p[1]) ; return -1 ; }
  if (!pid)
  {
    int null = open2("/dev/null", O_RDWR | O_CLOEXEC) ;
    if (null < 0 || fd_copy(0, null) < 0 || fd_copy(1, null) < 0) _exit(111) ;
    if (p[0] == 3 ? uncoe(3) < 0 : fd_move(3, p[0]) < 0) _exit(111) ;
    execv(s->c->checkpw[0], (char *const *)s->c->checkpw) ;
    strerr_warnwusys("run ", s->c->checkpw[0]) ;
    _exit(111) ;
  }
  close(p[0]) ;
  allwrite(p[1], in.s, in.len) ;
  close(p[1]) ;
  wipe(&in) ;
  if (wait_pid(pid, &wstat) != pid || !WIFEXITED(wstat)) return -1 ;
  return WEXITSTATUS(wstat) ;
}

/* Decode a base64 response into sa, NUL-terminated. 0 (reply sent) if it is not base64. */
static int decode (smtp_t *s, char const *b64, size_t len, stralloc *sa)
{
  sa->len = 0 ;
  if (len == 1 && b64[0] == '=') len = 0 ;   /* RFC 4954: "=" is an empty initial response */
  if (!base64_decode(sa, b64, len) || !stralloc_0(sa))
  {
    if (errno == ENOMEM) smtp_fatal(s, "allocate memory") ;
    smtp_reply(s, "501 5.5.2 cannot decode the response", "AUTH", "") ;
    return 0 ;
  }
  sa->len-- ;
  return 1 ;
}

/* 334 prompt, then the client's answer decoded into sa. 0 (reply sent) if cancelled or bad. */
static int challenge (smtp_t *s, char const *prompt, stralloc *sa)
{
  int r ;
  smtp_putreply(s, "334 ", prompt) ;
  r = smtp_readline(s) ;
  if (!r) { smtp_reply(s, "500 5.5.2 line too long", "AUTH", "") ; return 0 ; }
  if (!strcmp(s->line.s, "*")) { smtp_reply(s, "501 5.0.0 AUTH cancelled", "AUTH", "") ; return 0 ; }
  r = decode(s, s->line.s, s->line.len, sa) ;
  memset(s->line.s, 0, s->line.len) ;
  return r ;
}

/* 1 if the exchange is allowed now (else the reply is sent) */
static int authallowed (smtp_t *s, char const *mech)
{
  if (!s->c->checkpw) smtp_reply(s, "502 5.5.1 AUTH not available", "AUTH", mech) ;
  else if (!s->esmtp) smtp_reply(s, "503 5.5.1 send EHLO first", "AUTH", mech) ;
  else if (!s->tls && !s->c->authnotls) smtp_reply(s, "538 5.7.11 encryption required: use STARTTLS first", "AUTH", mech) ;
  else if (s->authuser.len) smtp_reply(s, "503 5.5.1 already authenticated", "AUTH", mech) ;
  else if (s->mail) smtp_reply(s, "503 5.5.1 AUTH is not allowed during a mail transaction", "AUTH", mech) ;
  else return 1 ;
  return 0 ;
}

/* The credentials, into user and pass: 1, or 0 with the reply sent. */
static int credentials (smtp_t *s, char const *mech, char const *initial, stralloc *user, stralloc *pass)
{
  if (!strcasecmp(mech, "PLAIN"))
  {
    char const *u, *p ;
    if (initial ? !decode(s, initial, strlen(initial), pass) : !challenge(s, "", pass)) return 0 ;
    if (!smtpd_authplain(pass->s, pass->len, &u, &p))
    {
      smtp_reply(s, "501 5.5.2 malformed AUTH PLAIN response", "AUTH", mech) ;
      return 0 ;
    }
    if (!stralloc_copys(user, u) || !stralloc_0(user)) smtp_fatal(s, "allocate memory") ;
    user->len-- ;
    memmove(pass->s, p, strlen(p) + 1) ;
    return 1 ;
  }
  if (!strcasecmp(mech, "LOGIN"))
  {
    if (initial ? !decode(s, initial, strlen(initial), user) : !challenge(s, "VXNlcm5hbWU6", user)) return 0 ;
    return challenge(s, "UGFzc3dvcmQ6", pass) ;
  }
  smtp_reply(s, "504 5.5.4 unrecognized authentication type", "AUTH", mech) ;
  return 0 ;
}

void smtp_auth (smtp_t *s, char *line, size_t len)
{
  stralloc user = STRALLOC_ZERO, pass = STRALLOC_ZERO ;
  size_t sp = byte_chr(line, len, ' ') ;
  char const *initial = sp < len ? line + sp + 1 : 0 ;
  char arg[21] ;   /* the mechanism, kept: the line buffer is reused by the exchange */
  int code ;
  line[sp] = 0 ;
  memcpy(arg, line, sp < sizeof arg - 1 ? sp : sizeof arg - 1) ;
  arg[sp < sizeof arg - 1 ? sp : sizeof arg - 1] = 0 ;
  if (!authallowed(s, arg) || !credentials(s, arg, initial, &user, &pass)) goto end ;
  if (!user.s[0] || strlen(user.s) != user.len)
  {
    smtp_reply(s, "501 5.5.2 malformed user name", "AUTH", arg) ;
    goto end ;
  }
  code = checkpassword(s, user.s, pass.s) ;
  if (!code)
  {
    if (!stralloc_copy(&s->authuser, &user) || !stralloc_0(&s->authuser)) smtp_fatal(s, "allocate memory") ;
    s->authuser.len-- ;
    smtp_putreply(s, "235 2.7.0 authentication successful", "") ;
    smtp_log(s, "AUTH ", arg, " ok: ", s->authuser.s) ;
  }
  else if (code == 111 || code < 0) smtp_reply(s, "454 4.7.0 temporary authentication failure", "AUTH", arg) ;
  else
  {
    smtp_reply(s, "535 5.7.8 authentication credentials invalid", "AUTH", arg) ;
    if (++s->authfails >= AUTHFAILMAX)
    {
      smtp_putreply(s, "421 4.7.0 too many failed authentications, closing connection", "") ;
      smtp_flush(s) ;
      smtp_reset(s) ;
      _exit(0) ;
    }
  }
 end:
  memset(s->line.s, 0, s->line.len) ;   /* an initial response holds the password too */
  wipe(&pass) ;
  stralloc_free(&user) ;
}
