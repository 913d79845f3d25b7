/* checkpw-core.h: the parsing behind qmail-checkpw and qmail-newpop3. The checkpassword request
   on fd 3 is "user\0password\0timestamp\0" (extra data after it is ignored). A line of
   users/pop3passwd is "user:secret:uid:gid:home": user without ":" or NUL, secret a crypt(3)
   hash or "{plain}" and the password itself (the only form APOP can use), uid and gid decimal,
   home absolute (the rest of the line, ":" allowed). users/pop3passwd.cdb maps user to
   "secret\0uid\0gid\0home\0". */
#ifndef QM_CHECKPW_CORE_H
#define QM_CHECKPW_CORE_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

#define CHECKPW_MAX 512          /* the most fd 3 may carry */
#define CHECKPW_PLAIN "{plain}"

typedef struct checkpw_req_s checkpw_req_t, *checkpw_req_t_ref ;
struct checkpw_req_s
{
  char const *user, *pass, *stamp ;
} ;

typedef struct checkpw_entry_s checkpw_entry_t, *checkpw_entry_t_ref ;
struct checkpw_entry_s
{
  char const *user, *secret, *home ;
  uid_t uid ;
  gid_t gid ;
} ;

/* 1 and r pointing into buf, or 0 if the three NUL-terminated fields are not all there */
extern int checkpw_request (checkpw_req_t *r, char const *buf, size_t len) ;
/* Parse one line (no newline) in place. 1 ok; 0 malformed, *why says how. */
extern int checkpw_line (checkpw_entry_t *e, char *line, char const **why) ;
/* The cdb value of an entry, and back (e->user is left alone). 1 ok, 0 ENOMEM or malformed */
extern int checkpw_pack (stralloc *sa, checkpw_entry_t const *e) ;
extern int checkpw_unpack (checkpw_entry_t *e, char const *s, size_t len) ;
/* 1 if equal; the time depends on the lengths only */
extern int checkpw_equal (char const *a, char const *b) ;
/* 1 if secret is "{plain}..." and digest (hex, either case) is MD5(stamp . password) */
extern int checkpw_apop (char const *secret, char const *stamp, char const *digest) ;
/* 1 if secret is "{plain}..." and pass is that password */
extern int checkpw_plain (char const *secret, char const *pass) ;

#endif
