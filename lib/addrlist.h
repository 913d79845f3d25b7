/* addrlist.h: RFC 5322 address lists as found in To, Cc, From... (section 3.4, with the obsolete
   forms of 4.4), read leniently as qmail-header(5) describes: display names, angle addresses,
   source routes, groups ("undisclosed: ;"), comments, quoted strings, domain literals, and
   addresses separated by blanks instead of commas ("a b" is read as "a, b").
   Each address comes with its byte span in the field, for rewriting in place, and its internal
   form (lib/address.h): local part unquoted, comments and blanks dropped. */
#ifndef QM_ADDRLIST_H
#define QM_ADDRLIST_H

#include <stddef.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

/* results of addrlist_parse: the syntax errors qmail-inject calls severe */
#define ADDRLIST_OK 0
#define ADDRLIST_ENOMEM (-1)     /* errno set */
#define ADDRLIST_ECOMMENT (-2)   /* "(" without its ")" */
#define ADDRLIST_EQUOTE (-3)     /* '"' without its closing '"' */
#define ADDRLIST_ELITERAL (-4)   /* "[" without its "]" */
#define ADDRLIST_EANGLE (-5)     /* "<" without ">", "<" inside "<>", or ">" without "<" */

#define ADDRLIST_NOCOMMA ((size_t)-1)

typedef struct addrlist_addr_s addrlist_addr_t, *addrlist_addr_t_ref ;
struct addrlist_addr_s
{
  size_t start, end ;             /* first to last byte of its tokens in s; start == end for "<>" */
  size_t routestart, routeend ;   /* a source route "@a,@b:" inside "<>", to drop; equal if none */
  size_t at ;                     /* just after its last '@' in s, or end if it has none */
  size_t comma ;                  /* where a missing separating comma belongs, or ADDRLIST_NOCOMMA */
  size_t text ;                   /* offset of the internal form in the list's text, NUL-terminated */
  size_t textlen ;
  size_t domain ;                 /* offset of the domain inside the internal form (after the
                                     last '@'), or textlen when there is no '@' */
  unsigned int hasat : 1 ;        /* the address has an '@' outside quotes */
  unsigned int angle : 1 ;        /* written inside "<>" */
  unsigned int group : 1 ;        /* a member of a group */
} ;

typedef struct addrlist_s addrlist_t, *addrlist_t_ref ;
struct addrlist_s
{
  genalloc addrs ;   /* addrlist_addr_t */
  stralloc text ;    /* the internal forms */
  genalloc tokens ;  /* scratch */
} ;
#define ADDRLIST_ZERO { .addrs = GENALLOC_ZERO, .text = STRALLOC_ZERO, .tokens = GENALLOC_ZERO }

/* Parse the field body s[0..len) (after the colon, folding included, final newline excluded).
   Replaces al's contents. On error al holds no address. */
extern int addrlist_parse (addrlist_t *al, char const *s, size_t len) ;
extern void addrlist_free (addrlist_t *al) ;
extern char const *addrlist_errstr (int e) ;

#define addrlist_n(al) genalloc_len(addrlist_addr_t, &(al)->addrs)
#define addrlist_get(al, i) (genalloc_s(addrlist_addr_t, &(al)->addrs) + (i))
#define addrlist_textof(al, a) ((al)->text.s + (a)->text)

#endif
