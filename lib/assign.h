/* assign.h: which user is in charge of a local part (qmail-users(5), qmail-getpw(8)), for
   qmail-newu, qmail-getpw, qmail-lspawn and qmail-smtpd's recipient checks.
   A lookup tries users/cdb (built by qmail-newu: exact "=" entries first, then the longest "+"
   prefix), then the password database (qmail-getpw's rules), then the alias account.
   Paths are relative to the cwd: chdir home first. Results: 1 found, 0 none, -1 error (errno;
   EINVAL: a malformed users/cdb record). */
#ifndef QM_ASSIGN_H
#define QM_ASSIGN_H

#include <stdint.h>
#include <sys/types.h>
#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>

#define ASSIGN_CDB "users/cdb"
#define ASSIGN_ALIAS "alias"   /* the catch-all account */
#define ASSIGN_BREAK '-'       /* qmail's conf-break: user-ext */
#define ASSIGN_USERLEN 32      /* account names are shorter than this */

/* where a result came from */
#define ASSIGN_EXACT 1     /* users/cdb, an "=" line */
#define ASSIGN_WILD 2      /* users/cdb, a "+" line */
#define ASSIGN_PASSWD 3    /* a system account named by the front of local */
#define ASSIGN_CATCHALL 4  /* the alias account, ext = the whole local part */

typedef struct assign_s assign_t, *assign_t_ref ;
struct assign_s
{
  stralloc sa ;  /* user\0uid\0gid\0home\0dash\0ext\0: exactly qmail-getpw's output */
  size_t user, home, dash, ext ;  /* offsets of the fields in sa.s */
  uid_t uid ;
  gid_t gid ;
  unsigned int source ;
} ;
#define ASSIGN_ZERO { .sa = STRALLOC_ZERO, .user = 0, .home = 0, .dash = 0, .ext = 0, .uid = 0, .gid = 0, .source = 0 }

#define assign_user(a) ((a)->sa.s + (a)->user)
#define assign_home(a) ((a)->sa.s + (a)->home)
#define assign_dash(a) ((a)->sa.s + (a)->dash)
#define assign_ext(a) ((a)->sa.s + (a)->ext)

/* qmail-lspawn's whole rule: users/cdb if it exists, else or if no entry matches, the
   password database, else the alias account. 0: nobody, not even alias. */
extern int assign_lookup (assign_t *a, char const *local) ;
/* users/cdb only, opened by the caller */
extern int assign_cdb (assign_t *a, cdb const *c, char const *local) ;
/* a system account whose name is local up to a break (the longest that qualifies), lowercased,
   with a nonzero uid and owning its home directory */
extern int assign_passwd (assign_t *a, char const *local) ;
/* the catch-all: account alias (nonzero uid), dash "-", ext the whole of local */
extern int assign_catchall (assign_t *a, char const *local, char const *alias) ;
extern void assign_free (assign_t *a) ;
/* a uid or gid: decimal digits only, below 4294967295 ((uid_t)-1 means "no id" to setreuid) */
extern int assign_scanid (char const *s, size_t len, uint32_t *id) ;

/* qmail-newu's side. One line of users/assign, without its newline, into a cdb key and value.
   Returns 1, or 0 if malformed with *why a static reason, or -1 (out of memory). */
extern int assign_parseline (stralloc *key, stralloc *data, char const *s, size_t len, char const **why) ;
/* All of users/assign into c (then cdbmake_finish it). Returns 1, or 0 if malformed with
   *line (1-based) and *why, or -1 (errno). */
extern int assign_make (cdbmaker *c, char const *s, size_t len, size_t *line, char const **why) ;

#endif
