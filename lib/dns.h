/* dns.h: MX, A and AAAA lookups through the C library resolver (res_query), and the parsing of
   answer packets, which is pure and unit-tested with canned packets.
   Results of the lookups: DNS_OK (possibly with no records: the name exists without data of
   that type), DNS_NX (the name does not exist: permanent), DNS_TEMP (try again later). */
#ifndef QM_DNS_H
#define QM_DNS_H

#include <stdint.h>
#include <stddef.h>
#include <skalibs/genalloc.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_MX 15
#define DNS_T_AAAA 28

#define DNS_OK 0
#define DNS_NX (-1)
#define DNS_TEMP (-2)

#define DNS_CNAMEMAX 8      /* CNAME hops followed before giving up (temporarily) */
#define DNS_NAMEMAX 255

/* One MX record: its preference and its target, an offset into the names stralloc. */
typedef struct dnsmx_s dnsmx_t ;
struct dnsmx_s
{
  unsigned int pref ;
  size_t name ;
} ;

/* One address to try, with the preference of the MX it came from (0 without MX) and the
   name it belongs to (the MX host, or the domain itself): TLS checks the certificate for it. */
typedef struct dnsip_s dnsip_t ;
struct dnsip_s
{
  ip46full ip ;
  unsigned int pref ;
  char name[DNS_NAMEMAX + 1] ;
} ;

/* What one answer packet says about qtype. */
typedef struct dnsanswer_s dnsanswer_t ;
struct dnsanswer_s
{
  unsigned int rcode ;   /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN... */
  stralloc names ;       /* MX targets, each NUL-terminated, lowercase, no final dot */
  genalloc mx ;          /* dnsmx_t */
  genalloc ip ;          /* ip46full, for A and AAAA */
  stralloc cname ;       /* a CNAME target seen in the answer (NUL-terminated), or empty */
} ;
#define DNSANSWER_ZERO { 0, STRALLOC_ZERO, GENALLOC_ZERO, GENALLOC_ZERO, STRALLOC_ZERO }

/* Parse a whole response packet: the records of type qtype in the answer section, and the
   target of a CNAME. 1 ok, 0 malformed (errno EPROTO) or out of memory (ENOMEM). */
extern int dns_parse (dnsanswer_t *a, unsigned char const *pkt, size_t len, uint16_t qtype) ;
/* Expand the (possibly compressed) name at *pos into out (dotted, lowercase, NUL-terminated; a
   label holding "." or NUL is malformed, having no dotted form);
   *pos moves past it. 1 ok, 0 malformed. out must hold DNS_NAMEMAX + 1 bytes. */
extern int dns_getname (unsigned char const *pkt, size_t len, size_t *pos, char *out) ;
extern void dnsanswer_free (dnsanswer_t *a) ;

/* Lookups through the resolver, following CNAMEs. */
extern int dns_ip (genalloc *ips, char const *name) ;                 /* appends ip46full, A then AAAA */
extern int dns_mx (dnsanswer_t *a, char const *name) ;                 /* a->mx and a->names */
/* Every address to try for mail to domain, sorted by MX preference, in random order among
   equal preferences; without MX records, the domain's own addresses at preference 0.
   DNS_OK with an empty list when no MX host has an address. An MX named me (lowercase, may
   be 0) lowers *mepref to its preference: the caller's own addresses do the same. */
extern int dns_mxip (genalloc *out, char const *domain, char const *me, unsigned int *mepref) ;
/* Stable sort by preference after a random shuffle (exposed for the unit test). */
extern void dns_sortmx (dnsip_t *v, size_t n, uint32_t (*rnd) (uint32_t)) ;

#endif
