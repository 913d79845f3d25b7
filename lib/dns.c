/* dns.c: MX/A/AAAA lookups through res_query, and a strict parser of answer packets
   (RFC 1035 §4.1: header, question, answer section; names with compression pointers). */
#define _DEFAULT_SOURCE  /* h_errno and its values */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>
#include <skalibs/bytestr.h>
#include <skalibs/random.h>
#include "dns.h"

#define PKTMAX 65536

static uint16_t get16 (unsigned char const *p)
{
  return (uint16_t)(p[0] << 8 | p[1]) ;
}

int dns_getname (unsigned char const *pkt, size_t len, size_t *pos, char *out)
{
  size_t p = *pos, o = 0, end = 0 ;
  unsigned int jumps = 0 ;
  for (;;)
  {
    unsigned int l ;
    if (p >= len) return (errno = EPROTO, 0) ;
    l = pkt[p] ;
    if ((l & 0xc0) == 0xc0)
    {
      size_t to ;
      if (p + 1 >= len || ++jumps > 64) return (errno = EPROTO, 0) ;
      to = (size_t)(l & 0x3f) << 8 | pkt[p + 1] ;
      if (!end) end = p + 2 ;
      if (to >= p) return (errno = EPROTO, 0) ;  /* pointers only go backwards: no loops */
      p = to ;
      continue ;
    }
    if (l & 0xc0) return (errno = EPROTO, 0) ;
    p++ ;
    if (!l) break ;
    if (p + l > len || o + l + 1 > DNS_NAMEMAX) return (errno = EPROTO, 0) ;
    if (o) out[o++] = '.' ;
    for (unsigned int i = 0 ; i < l ; i++)
    {
      unsigned char c = pkt[p + i] ;
      /* a label holding '.' or NUL has no dotted form: it would read as other labels or end early */
      if (c == '.' || !c) return (errno = EPROTO, 0) ;
      out[o++] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
    }
    p += l ;
  }
  out[o] = 0 ;
  *pos = end ? end : p ;
  return 1 ;
}

static int skipname (unsigned char const *pkt, size_t len, size_t *pos)
{
  char name[DNS_NAMEMAX + 1] ;
  return dns_getname(pkt, len, pos, name) ;
}

static int record (dnsanswer_t *a, unsigned char const *pkt, size_t len, uint16_t qtype, uint16_t type, size_t rd, size_t rdlen)
{
  char name[DNS_NAMEMAX + 1] ;
  size_t p = rd ;
  if (type == DNS_T_CNAME)
  {
    if (!dns_getname(pkt, len, &p, name) || p != rd + rdlen) return (errno = EPROTO, 0) ;
    return stralloc_copys(&a->cname, name) && stralloc_0(&a->cname) ;
  }
  if (type != qtype) return 1 ;
  if (type == DNS_T_MX)
  {
    dnsmx_t mx ;
    if (rdlen < 3) return (errno = EPROTO, 0) ;
    mx.pref = get16(pkt + rd) ;
    p = rd + 2 ;
    if (!dns_getname(pkt, len, &p, name) || p != rd + rdlen) return (errno = EPROTO, 0) ;
    mx.name = a->names.len ;
    return stralloc_cats(&a->names, name) && stralloc_0(&a->names) && genalloc_append(dnsmx_t, &a->mx, &mx) ;
  }
  if (type == DNS_T_A || type == DNS_T_AAAA)
  {
    ip46full ip = IP46FULL_ZERO ;
    if (rdlen != (type == DNS_T_A ? 4 : 16)) return (errno = EPROTO, 0) ;
    if (type == DNS_T_A) ip46full_from_ip4(&ip, (char const *)pkt + rd) ;
    else ip46full_from_ip6(&ip, (char const *)pkt + rd) ;
    return genalloc_append(ip46full, &a->ip, &ip) ;
  }
  return 1 ;
}

int dns_parse (dnsanswer_t *a, unsigned char const *pkt, size_t len, uint16_t qtype)
{
  size_t pos = 12 ;
  unsigned int qd, an ;
  a->names.len = 0 ; a->cname.len = 0 ;
  genalloc_setlen(dnsmx_t, &a->mx, 0) ;
  genalloc_setlen(ip46full, &a->ip, 0) ;
  if (len < 12 || !(pkt[2] & 0x80)) return (errno = EPROTO, 0) ;   /* QR: a response */
  a->rcode = pkt[3] & 0x0f ;
  qd = get16(pkt + 4) ;
  an = get16(pkt + 6) ;
  while (qd--)
  {
    if (!skipname(pkt, len, &pos) || pos + 4 > len) return (errno = EPROTO, 0) ;
    pos += 4 ;
  }
  while (an--)
  {
    uint16_t type, class ;
    size_t rdlen ;
    if (!skipname(pkt, len, &pos) || pos + 10 > len) return (errno = EPROTO, 0) ;
    type = get16(pkt + pos) ;
    class = get16(pkt + pos + 2) ;
    rdlen = get16(pkt + pos + 8) ;
    pos += 10 ;
    if (pos + rdlen > len) return (errno = EPROTO, 0) ;
    if (class == 1 && !record(a, pkt, len, qtype, type, pos, rdlen)) return 0 ;
    pos += rdlen ;
  }
  return 1 ;
}

void dnsanswer_free (dnsanswer_t *a)
{
  stralloc_free(&a->names) ;
  stralloc_free(&a->cname) ;
  genalloc_free(dnsmx_t, &a->mx) ;
  genalloc_free(ip46full, &a->ip) ;
}

/* One query; on DNS_OK a holds the parsed answer. */
static int query (dnsanswer_t *a, char const *name, uint16_t type)
{
  static unsigned char pkt[PKTMAX] ;
  static int inited = 0 ;
  int r ;
  if (!inited) { if (res_init() < 0) return DNS_TEMP ; inited = 1 ; }
  r = res_query(name, C_IN, type, pkt, sizeof pkt) ;
  if (r < 0)
  {
    if (h_errno == HOST_NOT_FOUND) return DNS_NX ;
    if (h_errno == NO_DATA) { dns_parse(a, pkt, 0, type) ; a->rcode = 0 ; return DNS_OK ; }
    return DNS_TEMP ;
  }
  if (!dns_parse(a, pkt, (size_t)r > sizeof pkt ? sizeof pkt : (size_t)r, type)) return DNS_TEMP ;
  if (a->rcode == 3) return DNS_NX ;
  return a->rcode ? DNS_TEMP : DNS_OK ;
}

/* Query, and when the answer holds only a CNAME, query its target (the resolver may be an
   authoritative server that does not chase it). */
static int follow (dnsanswer_t *a, char const *name, uint16_t type)
{
  char cur[DNS_NAMEMAX + 1] ;
  size_t n = strlen(name) ;
  if (n > DNS_NAMEMAX) return DNS_NX ;
  memcpy(cur, name, n + 1) ;
  for (unsigned int hop = 0 ; hop <= DNS_CNAMEMAX ; hop++)
  {
    int r = query(a, cur, type) ;
    if (r != DNS_OK) return r ;
    if (genalloc_len(dnsmx_t, &a->mx) || genalloc_len(ip46full, &a->ip) || !a->cname.len) return DNS_OK ;
    if (!strcmp(a->cname.s, cur)) return DNS_TEMP ;
    memcpy(cur, a->cname.s, a->cname.len) ;
  }
  return DNS_TEMP ;
}

int dns_ip (genalloc *ips, char const *name)
{
  dnsanswer_t a = DNSANSWER_ZERO ;
  int r4 = follow(&a, name, DNS_T_A), r6 ;
  if (r4 == DNS_OK && !genalloc_catb(ip46full, ips, genalloc_s(ip46full, &a.ip), genalloc_len(ip46full, &a.ip))) r4 = DNS_TEMP ;
  r6 = r4 == DNS_NX ? DNS_NX : follow(&a, name, DNS_T_AAAA) ;
  if (r6 == DNS_OK && !genalloc_catb(ip46full, ips, genalloc_s(ip46full, &a.ip), genalloc_len(ip46full, &a.ip))) r6 = DNS_TEMP ;
  dnsanswer_free(&a) ;
  if (r4 == DNS_OK || r6 == DNS_OK)
  {
    /* a failing AAAA lookup must not hide working A records, nor the reverse */
    if (genalloc_len(ip46full, ips)) return DNS_OK ;
    return r4 == DNS_TEMP || r6 == DNS_TEMP ? DNS_TEMP : DNS_OK ;
  }
  return r4 == DNS_NX && r6 == DNS_NX ? DNS_NX : DNS_TEMP ;
}

int dns_mx (dnsanswer_t *a, char const *name)
{
  return follow(a, name, DNS_T_MX) ;
}

static uint32_t rnd (uint32_t n)
{
  return random_uint32(n) ;
}

void dns_sortmx (dnsip_t *v, size_t n, uint32_t (*r) (uint32_t))
{
  for (size_t i = n ; i > 1 ; i--)
  {
    size_t j = r((uint32_t)i) ;
    dnsip_t t = v[i - 1] ; v[i - 1] = v[j] ; v[j] = t ;
  }
  for (size_t i = 1 ; i < n ; i++)  /* insertion sort: stable, and lists are short */
  {
    dnsip_t t = v[i] ;
    size_t j = i ;
    while (j && v[j - 1].pref > t.pref) { v[j] = v[j - 1] ; j-- ; }
    v[j] = t ;
  }
}

int dns_mxip (genalloc *out, char const *domain, char const *me, unsigned int *mepref)
{
  dnsanswer_t a = DNSANSWER_ZERO ;
  genalloc ips = GENALLOC_ZERO ;
  int r = dns_mx(&a, domain), temp = 0 ;
  size_t n ;
  if (r != DNS_OK) { dnsanswer_free(&a) ; return r ; }
  n = genalloc_len(dnsmx_t, &a.mx) ;
  for (size_t i = 0 ; i < (n ? n : 1) ; i++)
  {
    dnsmx_t const *mx = n ? genalloc_s(dnsmx_t, &a.mx) + i : 0 ;
    char const *host = mx ? a.names.s + mx->name : domain ;
    unsigned int pref = mx ? mx->pref : 0 ;
    if (me && mx && !strcmp(host, me) && pref < *mepref) *mepref = pref ;
    genalloc_setlen(ip46full, &ips, 0) ;
    r = dns_ip(&ips, host) ;
    if (r == DNS_TEMP) temp = 1 ;
    if (r != DNS_OK) continue ;
    for (size_t k = 0 ; k < genalloc_len(ip46full, &ips) ; k++)
    {
      dnsip_t d = { .ip = genalloc_s(ip46full, &ips)[k], .pref = pref } ;
      size_t hl = strlen(host) ;
      if (hl > DNS_NAMEMAX) hl = DNS_NAMEMAX ;
      memcpy(d.name, host, hl) ;
      d.name[hl] = 0 ;
      if (!genalloc_append(dnsip_t, out, &d)) temp = 1 ;
    }
  }
  dnsanswer_free(&a) ;
  genalloc_free(ip46full, &ips) ;
  dns_sortmx(genalloc_s(dnsip_t, out), genalloc_len(dnsip_t, out), &rnd) ;
  if (!n) return r == DNS_NX ? DNS_NX : temp ? DNS_TEMP : DNS_OK ;
  /* a host that failed temporarily may have been the best one; only when no other host has
     an address is the whole lookup a temporary failure */
  return temp && !genalloc_len(dnsip_t, out) ? DNS_TEMP : DNS_OK ;
}
