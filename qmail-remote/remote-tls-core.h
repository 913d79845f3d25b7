/* remote-tls-core.h: qmail-remote's TLS and AUTH pieces that need no connection: the TLS
   policy (control/tlspolicy), the AUTH credentials (control/smtpauth), the AUTH PLAIN and
   LOGIN encodings (RFC 4954), and the start of the qmail-tls client helper (RFC 3207). */
#ifndef QM_REMOTE_TLS_CORE_H
#define QM_REMOTE_TLS_CORE_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

#define TLSPOLICY_NONE 0      /* never STARTTLS; AUTH may go in the clear */
#define TLSPOLICY_MAY 1       /* STARTTLS when offered, any certificate (the default) */
#define TLSPOLICY_ENCRYPT 2   /* TLS required, any certificate */
#define TLSPOLICY_VERIFY 3    /* TLS required, a certificate that verifies and names the host */

/* tlspolicy: items "domain:policy" each NUL-terminated (control_readlist), matched as
   smtproutes is: the exact domain, then ".suffix" items from the longest suffix, then the
   wildcard ":policy"; domains ignore case. The policy, TLSPOLICY_MAY when nothing matches,
   or -1 (errno EINVAL) when the matching item names no policy. */
extern int tlspolicy_find (char const *items, size_t n, char const *domain) ;
extern char const *tlspolicy_name (int policy) ;

/* smtpauth: items "relay:user:password"; relay compares with host ignoring case (a relay in
   brackets may hold colons); the password is the rest of the item. 1 found (*user, *userlen,
   *pass point into items; *pass is NUL-terminated), 0 none, -1 (errno EINVAL) the matching
   item has no user or no second colon. */
extern int smtpauth_find (char const *items, size_t n, char const *host, char const **user, size_t *userlen, char const **pass) ;

/* "AUTH PLAIN " base64(NUL user NUL pass) CRLF, appended to sa (RFC 4954 initial response). */
extern int auth_plain (stralloc *sa, char const *user, size_t userlen, char const *pass, size_t passlen) ;
/* base64(s) CRLF: one answer to a 334 challenge (AUTH LOGIN). */
extern int auth_answer (stralloc *sa, char const *s, size_t len) ;

/* Start the helper argv (qmail-tls -c ...) with the connection sock as its fds 0 and 1, a
   pipe to its fd 6 (*wfd, our end) and one from its fd 7 (*rfd); our ends are non-blocking
   and close-on-exec. The pid, or -1 with errno set. */
extern pid_t tlshelper_spawn (char const *const *argv, int sock, int *rfd, int *wfd) ;

#endif
