/* rewrite.h: where a recipient goes (qmail-todo classifies, qmail-send rewrites with it):
   envnoathost for an address without '@', then percenthack, locals, then virtualdomains
   (address, domain, .subdomain wildcards, the empty wildcard). Lists are loaded once (and
   again on SIGHUP) into sorted lowercase tables. */
#ifndef QM_REWRITE_H
#define QM_REWRITE_H

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

typedef struct rewrite_s rewrite_t, *rewrite_t_ref ;
struct rewrite_s
{
  stralloc data ;        /* every item, NUL-terminated, lowercased where case does not matter */
  genalloc locals ;      /* size_t offsets into data, sorted */
  genalloc percent ;     /* domains where user%host@domain is user@host */
  genalloc virt ;        /* "key:prefix" entries sorted by key */
  size_t envnoathost ;   /* offset of the envnoathost value */
} ;
#define REWRITE_ZERO { STRALLOC_ZERO, GENALLOC_ZERO, GENALLOC_ZERO, GENALLOC_ZERO, 0 }

#define REWRITE_LOCAL 'L'
#define REWRITE_REMOTE 'R'

/* Read control/locals, virtualdomains, percenthack, envnoathost (cwd: the home).
   Returns 1, or a negative control_* error with *failed naming the file (for control_die). */
extern int rewrite_load (rewrite_t *r, char const **failed) ;
extern void rewrite_free (rewrite_t *r) ;
/* Classify addr. out gets the address to deliver to, NUL-terminated: for a virtual domain
   "prefix-local@domain", as qmail. Returns REWRITE_LOCAL, REWRITE_REMOTE, or 0 (no memory). */
extern char rewrite_recipient (rewrite_t const *r, char const *addr, stralloc *out) ;

#endif
