/* Unit tests of lib/rewrite.c: locals, virtualdomains precedence, percenthack, envnoathost. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "control.h"
#include "rewrite.h"
#include "../tap.h"

static void put (char const *name, char const *content)
{
  char path[256] = "control/" ;
  strcat(path, name) ;
  if (!openwritenclose_unsafe(path, content, strlen(content))) exit(111) ;
}

static void check (rewrite_t const *r, char const *addr, char want, char const *wantaddr)
{
  stralloc out = STRALLOC_ZERO ;
  char got = rewrite_recipient(r, addr, &out) ;
  char name[300] ;
  snprintf(name, sizeof name, "%s is %c", addr, want) ;
  is(got, want, name) ;
  snprintf(name, sizeof name, "%s delivers to %s", addr, wantaddr) ;
  is_str(out.s, wantaddr, name) ;
  stralloc_free(&out) ;
}

int main (void)
{
  char dir[] = "/tmp/qm-rewrite-XXXXXX" ;
  rewrite_t r = REWRITE_ZERO ;
  char const *failed ;
  if (!mkdtemp(dir) || chdir(dir) == -1 || mkdir("control", 0755) == -1) return 111 ;

  put("me", "mail.example.org\n") ;
  ok(rewrite_load(&r, &failed) == 1, "load with only me") ;
  check(&r, "joe", 'R', "joe@mail.example.org") ;
  rewrite_free(&r) ;

  put("locals", "example.org\nLocalhost\n# comment\nmail.example.org\n") ;
  put("envnoathost", "example.org\n") ;
  put("percenthack", "relay.example.org\n") ;
  put("virtualdomains",
      "virt.example.com:vuser\n"
      ".sub.example.com:subuser\n"
      "postmaster@virt.example.com:pm\n"
      "except.virt.example.com:\n"
      "Case.Example.NET:CasePrefix\n") ;
  ok(rewrite_load(&r, &failed) == 1, "load all lists") ;
  check(&r, "joe@example.org", 'L', "joe@example.org") ;
  check(&r, "Joe@EXAMPLE.ORG", 'L', "Joe@EXAMPLE.ORG") ;
  check(&r, "joe@localhost", 'L', "joe@localhost") ;
  check(&r, "joe", 'L', "joe@example.org") ;
  check(&r, "joe@elsewhere.net", 'R', "joe@elsewhere.net") ;
  check(&r, "joe@sub.example.org", 'R', "joe@sub.example.org") ;
  check(&r, "info@virt.example.com", 'L', "vuser-info@virt.example.com") ;
  check(&r, "postmaster@virt.example.com", 'L', "pm-postmaster@virt.example.com") ;
  check(&r, "a@x.sub.example.com", 'L', "subuser-a@x.sub.example.com") ;
  check(&r, "a@y.x.sub.example.com", 'L', "subuser-a@y.x.sub.example.com") ;
  check(&r, "a@sub.example.com", 'R', "a@sub.example.com") ;
  check(&r, "a@except.virt.example.com", 'R', "a@except.virt.example.com") ;
  check(&r, "a@case.example.net", 'L', "CasePrefix-a@case.example.net") ;
  check(&r, "user%example.org@relay.example.org", 'L', "user@example.org") ;
  check(&r, "user%far.net@relay.example.org", 'R', "user@far.net") ;
  check(&r, "user%far.net@other.org", 'R', "user%far.net@other.org") ;
  check(&r, "a%b%relay.example.org@relay.example.org", 'R', "a@b") ;
  check(&r, "@example.org", 'L', "@example.org") ;
  check(&r, "", 'L', "@example.org") ;
  rewrite_free(&r) ;

  put("virtualdomains", ":catchall\nvirt.example.com:vuser\n") ;
  ok(rewrite_load(&r, &failed) == 1, "reload with a catch-all") ;
  check(&r, "x@anything.net", 'L', "catchall-x@anything.net") ;
  check(&r, "x@virt.example.com", 'L', "vuser-x@virt.example.com") ;
  check(&r, "x@example.org", 'L', "x@example.org") ;
  rewrite_free(&r) ;

  mkdir("control/percenthack.d", 0755) ;
  rename("control/percenthack", "control/percenthack.old") ;
  rename("control/percenthack.d", "control/percenthack") ;
  ok(rewrite_load(&r, &failed) < 0, "an unreadable list is an error") ;
  is_str(failed, "percenthack", "and names the file") ;
  rewrite_free(&r) ;
  rm_rf(dir) ;
  return tap_done() ;
}
