/* Unit tests of qmail-remote/remote-tls-core.c: control/tlspolicy matching, control/smtpauth
   lookup, the AUTH PLAIN and LOGIN encodings. */
#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-remote/remote-tls-core.h"
#include "../tap.h"

static char const policy[] =
  "example.org:verify\0"
  ".example.org:encrypt\0"
  "plain.example.org:none\0"
  "[127.0.0.1]:none\0"
  "bad.example:maybe\0"
  ":may\0" ;
#define NPOLICY 6

static char const auth[] =
  "smarthost.example:alice:pa:ss word\0"
  "[IPv6:::1]:bob:x\0"
  "nouser.example::pw\0"
  "nopass.example:carol\0" ;
#define NAUTH 4

int main (void)
{
  char const *user, *pass ;
  size_t ulen ;
  stralloc sa = STRALLOC_ZERO ;
  is(tlspolicy_find(policy, NPOLICY, "example.org"), TLSPOLICY_VERIFY, "exact domain") ;
  is(tlspolicy_find(policy, NPOLICY, "EXAMPLE.ORG"), TLSPOLICY_VERIFY, "ignoring case") ;
  is(tlspolicy_find(policy, NPOLICY, "a.b.example.org"), TLSPOLICY_ENCRYPT, ".suffix") ;
  is(tlspolicy_find(policy, NPOLICY, "plain.example.org"), TLSPOLICY_NONE, "exact beats suffix") ;
  is(tlspolicy_find(policy, NPOLICY, "[127.0.0.1]"), TLSPOLICY_NONE, "a literal as key") ;
  is(tlspolicy_find(policy, NPOLICY, "bad.example"), -1, "unknown policy word") ;
  is(errno, EINVAL, "EINVAL") ;
  is(tlspolicy_find(policy, NPOLICY, "other.example"), TLSPOLICY_MAY, "wildcard") ;
  is(tlspolicy_find(policy, 2, "other.example"), TLSPOLICY_MAY, "no line: may") ;
  is(tlspolicy_find("", 0, "other.example"), TLSPOLICY_MAY, "no file: may") ;
  is(tlspolicy_find(":encrypt\0", 1, "x.example"), TLSPOLICY_ENCRYPT, "wildcard encrypt") ;
  is_str(tlspolicy_name(TLSPOLICY_ENCRYPT), "encrypt", "policy names") ;

  ok(smtpauth_find(auth, NAUTH, "SmartHost.example", &user, &ulen, &pass) == 1, "smtpauth: relay found ignoring case") ;
  is_mem(user, ulen, "alice", "user") ;
  is_str(pass, "pa:ss word", "password: the rest of the line, colons and blanks kept") ;
  ok(smtpauth_find(auth, NAUTH, "[ipv6:::1]", &user, &ulen, &pass) == 1 && ulen == 3 && !strcmp(pass, "x"), "bracketed relay with colons") ;
  is(smtpauth_find(auth, NAUTH, "other.example", &user, &ulen, &pass), 0, "no line") ;
  is(smtpauth_find(auth, NAUTH, "nouser.example", &user, &ulen, &pass), -1, "empty user refused") ;
  is(smtpauth_find(auth, NAUTH, "nopass.example", &user, &ulen, &pass), -1, "no password field refused") ;

  ok(auth_plain(&sa, "demo", 4, "s3cret pass", 11), "AUTH PLAIN") ;
  is_mem(sa.s, sa.len, "AUTH PLAIN AGRlbW8AczNjcmV0IHBhc3M=\r\n", "AUTH PLAIN initial response (RFC 4954)") ;
  sa.len = 0 ;
  ok(auth_answer(&sa, "demo", 4), "LOGIN answer") ;
  is_mem(sa.s, sa.len, "ZGVtbw==\r\n", "base64 and CRLF") ;
  stralloc_free(&sa) ;
  return tap_done() ;
}
