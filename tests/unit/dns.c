/* Unit tests of lib/dns.c's packet parser with canned answer packets: MX with compression,
   A and AAAA, CNAME, NXDOMAIN, malformed packets (truncation, pointer loops, bad lengths),
   and the preference sort. */
#include <stdint.h>
#include <string.h>
#include <skalibs/ip46.h>
#include "dns.h"
#include "../tap.h"

/* header: id 1, QR+RD+RA, rcode, 1 question, an answers */
#define HDR(rcode, an) 0, 1, 0x81, 0x80 | (rcode), 0, 1, 0, (an), 0, 0, 0, 0

/* example.org MX: 10 mx1.example.org, 20 mx2.example.org (the second name compressed) */
static unsigned char const mxpkt[] = {
  HDR(0, 2),
  7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0, 0, 15, 0, 1,   /* question at 12 */
  0xc0, 12, 0, 15, 0, 1, 0, 0, 1, 0, 0, 8, 0, 10, 3, 'm', 'x', '1', 0xc0, 12,
  0xc0, 12, 0, 15, 0, 1, 0, 0, 1, 0, 0, 8, 0, 20, 3, 'M', 'X', '2', 0xc0, 12,
} ;

static unsigned char const apkt[] = {
  HDR(0, 3),
  3, 'm', 'x', '1', 0, 0, 1, 0, 1,
  0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 127, 0, 0, 2,
  0xc0, 12, 0, 28, 0, 1, 0, 0, 1, 0, 0, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
  0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 127, 0, 0, 3,
} ;

static unsigned char const cnamepkt[] = {
  HDR(0, 1),
  5, 'a', 'l', 'i', 'a', 's', 0, 0, 15, 0, 1,
  0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0, 0, 6, 4, 'r', 'e', 'a', 'l', 0,
} ;

static unsigned char const nxpkt[] = { HDR(3, 0), 2, 'n', 'x', 0, 0, 15, 0, 1 } ;
static unsigned char const looppkt[] = { HDR(0, 1), 0xc0, 12, 0, 15, 0, 1 } ;
static unsigned char const fwdpkt[] = { HDR(0, 0), 0xc0, 14, 0, 0, 0, 15, 0, 1 } ;
static unsigned char const badalen[] = {
  HDR(0, 1), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 3, 127, 0, 0,
} ;
static unsigned char const query[] = { 0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1 } ;

static uint32_t last (uint32_t n)
{
  return n - 1 ;   /* the shuffle leaves the order as it is */
}

int main (void)
{
  dnsanswer_t a = DNSANSWER_ZERO ;
  char ipfmt[IP46_FMT] ;
  ok(dns_parse(&a, mxpkt, sizeof mxpkt, DNS_T_MX), "MX packet parses") ;
  is(a.rcode, 0, "rcode NOERROR") ;
  if (!is(genalloc_len(dnsmx_t, &a.mx), 2, "two MX records")) return tap_done() ;
  is(genalloc_s(dnsmx_t, &a.mx)[0].pref, 10, "first preference 10") ;
  is_str(a.names.s + genalloc_s(dnsmx_t, &a.mx)[0].name, "mx1.example.org", "first target through a pointer") ;
  is(genalloc_s(dnsmx_t, &a.mx)[1].pref, 20, "second preference 20") ;
  is_str(a.names.s + genalloc_s(dnsmx_t, &a.mx)[1].name, "mx2.example.org", "second target lowercased") ;
  ok(dns_parse(&a, mxpkt, sizeof mxpkt, DNS_T_A) && !genalloc_len(dnsmx_t, &a.mx) && !genalloc_len(ip46full, &a.ip), "asking for A ignores MX records") ;
  ok(!dns_parse(&a, mxpkt, sizeof mxpkt - 1, DNS_T_MX), "truncated MX packet refused") ;
  for (size_t cut = 0 ; cut < sizeof mxpkt ; cut++)
    if (dns_parse(&a, mxpkt, cut, DNS_T_MX)) { ok(0, "every truncation refused") ; break ; }
    else if (cut == sizeof mxpkt - 1) ok(1, "every truncation refused") ;

  ok(dns_parse(&a, apkt, sizeof apkt, DNS_T_A), "A packet parses") ;
  is(genalloc_len(ip46full, &a.ip), 2, "two A records, AAAA skipped") ;
  ipfmt[ip46full_fmt(ipfmt, &genalloc_s(ip46full, &a.ip)[1])] = 0 ;
  is_str(ipfmt, "127.0.0.3", "second A") ;
  ok(dns_parse(&a, apkt, sizeof apkt, DNS_T_AAAA) && genalloc_len(ip46full, &a.ip) == 1, "one AAAA record") ;
  ok(ip46full_is6(&genalloc_s(ip46full, &a.ip)[0]), "AAAA is IPv6") ;
  ipfmt[ip46full_fmt(ipfmt, &genalloc_s(ip46full, &a.ip)[0])] = 0 ;
  is_str(ipfmt, "2001:db8::1", "AAAA value") ;

  ok(dns_parse(&a, cnamepkt, sizeof cnamepkt, DNS_T_MX), "CNAME packet parses") ;
  is_str(a.cname.s, "real", "CNAME target") ;
  is(genalloc_len(dnsmx_t, &a.mx), 0, "no MX behind the CNAME") ;

  ok(dns_parse(&a, nxpkt, sizeof nxpkt, DNS_T_MX) && a.rcode == 3, "NXDOMAIN rcode") ;
  ok(!dns_parse(&a, looppkt, sizeof looppkt, DNS_T_MX), "self pointer refused") ;
  ok(!dns_parse(&a, fwdpkt, sizeof fwdpkt, DNS_T_MX), "forward pointer refused") ;
  ok(!dns_parse(&a, badalen, sizeof badalen, DNS_T_A), "A record of 3 bytes refused") ;
  ok(!dns_parse(&a, query, sizeof query, DNS_T_A), "a query is no answer") ;
  {
    /* 64 labels of 4: over 255 */
    unsigned char big[12 + 64 * 5 + 5] = { HDR(0, 0) } ;
    size_t p = 12 ;
    big[5] = 1 ;
    for (int i = 0 ; i < 64 ; i++) { big[p++] = 4 ; memcpy(big + p, "abcd", 4) ; p += 4 ; }
    big[p++] = 0 ; big[p++] = 0 ; big[p++] = 1 ; big[p++] = 0 ; big[p++] = 1 ;
    ok(!dns_parse(&a, big, p, DNS_T_A), "name over 255 bytes refused") ;
  }
  {
    dnsip_t v[5] ;
    unsigned int prefs[5] = { 20, 10, 30, 10, 20 } ;
    for (int i = 0 ; i < 5 ; i++) { memset(&v[i], 0, sizeof v[i]) ; v[i].pref = prefs[i] ; v[i].ip.ip[0] = i ; }
    dns_sortmx(v, 5, &last) ;
    ok(v[0].pref == 10 && v[1].pref == 10 && v[2].pref == 20 && v[3].pref == 20 && v[4].pref == 30, "sorted by preference") ;
    ok(v[0].ip.ip[0] == 1 && v[1].ip.ip[0] == 3, "stable among equals") ;
  }
  dnsanswer_free(&a) ;
  return tap_done() ;
}
