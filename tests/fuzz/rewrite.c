/* rewrite.c: fuzz recipient classification (qmail-todo's parse of an address: envnoathost,
   the percent hack, locals, virtual domains) against fixed control files, written once into a
   temporary home. The result is local or remote, NUL-terminated, with an '@', and a remote
   result is the address itself (with envnoathost and the percent hack applied). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/stralloc.h>
#include "rewrite.h"
#include "common/fuzz.h"

static void put (char const *name, char const *text)
{
  FILE *f = fopen(name, "w") ;
  if (!f || fputs(text, f) < 0 || fclose(f)) abort() ;
}

/* Load the tables in a temporary home, then come back: libFuzzer writes crashes to the cwd. */
static rewrite_t const *tables (void)
{
  static rewrite_t r = REWRITE_ZERO ;
  static int loaded = 0 ;
  char tmpl[] = "/tmp/fuzz-rewrite.XXXXXX", cwd[4096] ;
  char const *failed ;
  if (loaded) return &r ;
  if (!getcwd(cwd, sizeof cwd) || !mkdtemp(tmpl) || chdir(tmpl) || mkdir("control", 0700) || chdir("control")) abort() ;
  put("me", "mail.example.org\n") ;
  put("locals", "example.org\nLocalhost\nmail.example.org\n") ;
  put("envnoathost", "example.org\n") ;
  put("percenthack", "relay.example.org\nexample.org\n") ;
  put("virtualdomains", "virt.example.com:vuser\n.sub.example.com:subuser\npostmaster@virt.example.com:pm\n"
      "except.virt.example.com:\n") ;
  if (chdir("..") || rewrite_load(&r, &failed) != 1) abort() ;
  if (unlink("control/me") || unlink("control/locals") || unlink("control/envnoathost") || unlink("control/percenthack")
   || unlink("control/virtualdomains") || rmdir("control") || chdir(cwd) || rmdir(tmpl)) abort() ;
  loaded = 1 ;
  return &r ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  rewrite_t const *r = tables() ;
  char *addr = fuzz_strdup(data, size) ;
  stralloc out = STRALLOC_ZERO ;
  char k = rewrite_recipient(r, addr, &out) ;
  fuzz_assert(k == REWRITE_LOCAL || k == REWRITE_REMOTE) ;
  fuzz_assert(out.s[out.len] == 0 && strlen(out.s) == out.len) ;
  fuzz_assert(memchr(out.s, '@', out.len) != 0) ;
  /* classifying is a function of the address: the same answer twice */
  {
    stralloc again = STRALLOC_ZERO ;
    fuzz_assert(rewrite_recipient(r, addr, &again) == k) ;
    fuzz_assert(fuzz_same(again.s, again.len, out.s, out.len)) ;
    stralloc_free(&again) ;
  }
  stralloc_free(&out) ;
  free(addr) ;
  return 0 ;
}
