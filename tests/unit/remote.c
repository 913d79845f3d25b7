/* Unit tests of qmail-remote/remote-core.c: smtproutes matching and relay syntax, address
   literals, SMTP reply assembly, EHLO keywords, DATA encoding, the tcpto table. */
#include <string.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>
#include "../../qmail-remote/remote-core.h"
#include "../tap.h"

static char const routes[] =
  "example.org:relay.example.net\0"
  ".example.org:[192.0.2.1]:2525\0"
  ".sub.example.org:sub-relay\0"
  "direct.example.org:\0"
  "v6.example:[IPv6:2001:db8::25]:587\0"
  "v6b.example:[::1]\0"
  "bad.example:[nonsense]\0"
  "badport.example:host:99999\0"
  ":smarthost.example:26\0" ;
#define NROUTES 9

static void route (char const *domain, int want, char const *host, unsigned int port, char const *name)
{
  relay_t r = RELAY_ZERO ;
  int got = route_find(&r, routes, NROUTES, domain) ;
  if (!is(got, want, name) || got != 1) { stralloc_free(&r.host) ; return ; }
  is_str(r.host.s, host, name) ;
  is(r.port, port, name) ;
  stralloc_free(&r.host) ;
}

static int reply (smtpreply_t *r, char const *lines)
{
  int got = 0 ;
  while (*lines)
  {
    size_t n = strcspn(lines, "\n") ;
    got = smtpreply_add(r, lines, n) ;
    if (got) return got ;
    lines += n + !!lines[n] ;
  }
  return got ;
}

static void data (char const *in, char const *want, char const *name)
{
  stralloc out = STRALLOC_ZERO ;
  int bol = 1 ;
  /* in two pieces, split in the middle, to cross a chunk boundary */
  size_t half = strlen(in) / 2 ;
  ok(smtpdata_cat(&out, in, half, &bol) && smtpdata_cat(&out, in + half, strlen(in) - half, &bol) && smtpdata_end(&out, bol), name) ;
  is_mem(out.s, out.len, want, name) ;
  stralloc_free(&out) ;
}

int main (void)
{
  ip46full ip ;
  char fmt[IP46_FMT] ;
  route("example.org", 1, "relay.example.net", 25, "exact domain") ;
  route("EXAMPLE.Org", 1, "relay.example.net", 25, "exact domain ignores case") ;
  route("a.example.org", 1, "[192.0.2.1]", 2525, ".suffix with literal and port") ;
  route("x.sub.example.org", 1, "sub-relay", 25, "longest suffix first") ;
  route("direct.example.org", 1, "", 25, "empty relay: use MX") ;
  route("v6.example", 1, "[ipv6:2001:db8::25]", 587, "IPv6 literal relay with port") ;
  route("v6b.example", 1, "[::1]", 25, "bare IPv6 literal") ;
  route("bad.example", -1, "", 0, "bad literal is an error") ;
  route("badport.example", -1, "", 0, "port out of range is an error") ;
  route("elsewhere.example", 1, "smarthost.example", 26, "wildcard") ;
  {
    relay_t r = RELAY_ZERO ;
    is(route_find(&r, routes, 4, "elsewhere.example"), 0, "no wildcard: no route") ;
    ok(relay_parse(&r, "[IPv6:2001:db8::25]:587", 23, 25) && r.isip && r.ip.is6 && r.port == 587, "relay_parse v6 literal") ;
    ok(relay_parse(&r, "127.0.0.1:2525", 14, 25) && r.isip && !r.ip.is6 && r.port == 2525, "relay_parse bare IPv4 with port") ;
    ok(relay_parse(&r, "mx.example", 10, 25) && !r.isip && r.port == 25, "relay_parse host name") ;
    ok(!relay_parse(&r, "mx.example:", 11, 25), "empty port refused") ;
    ok(!relay_parse(&r, "[::1", 4, 25), "unclosed bracket refused") ;
    stralloc_free(&r.host) ;
  }
  ok(host_literal("[192.0.2.7]", 11, &ip) && !ip.is6, "IPv4 literal") ;
  ok(host_literal("[IPv6:::1]", 10, &ip) && ip.is6, "IPv6 literal") ;
  fmt[ip46full_fmt(fmt, &ip)] = 0 ;
  is_str(fmt, "::1", "IPv6 literal value") ;
  ok(!host_literal("[IPv6:1.2.3.4]", 14, &ip), "IPv6: tag with an IPv4 address refused") ;
  ok(!host_literal("example.org", 11, &ip), "a name is no literal") ;
  ok(!host_literal("::1", 3, &ip), "an unbracketed IPv6 address is no literal") ;

  {
    smtpreply_t r = SMTPREPLY_ZERO ;
    is(reply(&r, "250 ok"), 1, "one-line reply") ;
    is(r.code, 250, "its code") ;
    is_str(r.text.s, "250 ok", "its text") ;
    is(reply(&r, "250-mx.example\n250-PIPELINING\n250 SIZE 1000"), 1, "multi-line reply") ;
    is_str(r.text.s, "250-mx.example\n250-PIPELINING\n250 SIZE 1000", "lines joined") ;
    is(reply(&r, "451 4.3.0 try later\r"), 1, "CR dropped") ;
    is_str(r.text.s, "451 4.3.0 try later", "text without CR") ;
    is(reply(&r, "250"), 1, "bare code") ;
    is(reply(&r, "250-a\n354 b"), -1, "code change refused") ;
    r.lines = 0 ;
    is(reply(&r, "hello"), -1, "no code refused") ;
    r.lines = 0 ;
    is(reply(&r, "250x"), -1, "bad separator refused") ;
    r.lines = 0 ;
    is(reply(&r, "550 a\tb\001"), 1, "control characters") ;
    is_str(r.text.s, "550 a?b?", "replaced") ;
    stralloc_free(&r.text) ;
  }
  {
    uint64_t size ;
    char const *t = "250-mx.example hello\n250-pipelining\n250-SIZE 52428800\n250-8BITMIME\n250-AUTH PLAIN LOGIN\n250 STARTTLS" ;
    unsigned int f = ehlo_parse(t, strlen(t), &size) ;
    is(f, EHLO_PIPELINING | EHLO_SIZE | EHLO_8BITMIME | EHLO_AUTH | EHLO_AUTHPLAIN | EHLO_AUTHLOGIN | EHLO_STARTTLS, "EHLO keywords") ;
    is(size, 52428800, "SIZE value") ;
    t = "250-x\n250-AUTH=LOGIN\n250 AUTH CRAM-MD5 PLAINX" ;
    is(ehlo_parse(t, strlen(t), &size), EHLO_AUTH | EHLO_AUTHLOGIN, "AUTH=LOGIN (old form); no prefix match of PLAIN") ;
    t = "250-SIZE\n250-SIZE\n250 PIPELININGX" ;
    f = ehlo_parse(t, strlen(t), &size) ;
    is(f, EHLO_SIZE, "greeting line skipped, SIZE without value, no prefix match") ;
    is(size, 0, "no SIZE value") ;
  }
  data("a\nb\n", "a\r\nb\r\n.\r\n", "LF to CRLF") ;
  data(".x\n..y\nz.\n.", "..x\r\n...y\r\nz.\r\n..\r\n.\r\n", "dot-stuffing, final line without LF") ;
  data("", ".\r\n", "empty message") ;
  data("\n\n", "\r\n\r\n.\r\n", "empty lines") ;
  {
    static unsigned char t[TCPTO_SIZE] ;
    ip46full a = IP46FULL_ZERO, b = IP46FULL_ZERO ;
    host_literal("[127.0.0.2]", 11, &a) ;
    host_literal("[::1]", 5, &b) ;
    ok(!tcpto_isdead(t, &a, 1000), "empty table: alive") ;
    tcpto_note(t, &a, 1000, 1) ;
    ok(!tcpto_isdead(t, &a, 1000), "one failure: alive") ;
    tcpto_note(t, &a, 1001, 1) ;
    ok(tcpto_isdead(t, &a, 1002), "two failures: dead") ;
    ok(!tcpto_isdead(t, &b, 1002), "another address: alive") ;
    ok(!tcpto_isdead(t, &a, 1001 + TCPTO_HOLD), "dead for TCPTO_HOLD only") ;
    tcpto_note(t, &b, 1000, 1) ; tcpto_note(t, &b, 1000, 1) ;
    ok(tcpto_isdead(t, &b, 1002), "IPv6 dead") ;
    tcpto_note(t, &a, 1003, 0) ;
    ok(!tcpto_isdead(t, &a, 1004), "success forgets") ;
    ok(tcpto_isdead(t, &b, 1004), "the other stays") ;
    for (unsigned int i = 0 ; i < TCPTO_SLOTS + 5 ; i++)
    {
      ip46full x = IP46FULL_ZERO ;
      x.ip[0] = 10 ; x.ip[2] = i >> 8 ; x.ip[3] = i ;
      tcpto_note(t, &x, 2000 + i, 1) ;
    }
    ok(!tcpto_isdead(t, &b, 2500), "a full table drops the oldest") ;
  }
  return tap_done() ;
}
