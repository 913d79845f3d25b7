/* Unit tests of lib/spawnjob.c: qmail-send's job records for the spawners. */
#include <string.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include "spawnjob.h"
#include "../tap.h"

#define S(lit) (lit), sizeof(lit) - 1

int main (void)
{
  char const *f[SPAWNJOB_FIELDS] ;
  unsigned int slot = 99 ;
  static char const two[] = "7\00012\0001024\0a@b.c\0d@e.f\0" "8\00013\0001024\0\0g@h.i\0" ;
  long r = spawnjob_next(two, sizeof two - 1, f, &slot, 100) ;
  is(r, 22, "the first record's length") ;
  is(slot, 7, "its slot") ;
  ok(!strcmp(f[1], "12") && !strcmp(f[2], "1024") && !strcmp(f[3], "a@b.c") && !strcmp(f[4], "d@e.f"), "its fields") ;
  r = spawnjob_next(two + 22, sizeof two - 1 - 22, f, &slot, 100) ;
  ok(r == 17 && slot == 8 && !*f[3] && !strcmp(f[4], "g@h.i"), "the second, with the null sender") ;
  {
    size_t early = 0 ;
    for (size_t cut = 0 ; cut < 22 ; cut++)
      if (spawnjob_next(two, cut, f, &slot, 100)) early++ ;
    is(early, 0, "every incomplete prefix waits for more") ;
  }
  is(spawnjob_next(S("100\0" "1\0" "2\0" "3\0" "4\0"), f, &slot, 100), -1, "a slot at the limit is garbled") ;
  is(spawnjob_next(S("x\0" "1\0" "2\0" "3\0" "4\0"), f, &slot, 100), -1, "a slot that is no number") ;
  is(spawnjob_next(S("\0" "1\0" "2\0" "3\0" "4\0"), f, &slot, 100), -1, "an empty slot") ;
  is(spawnjob_next(S("1x\0" "1\0" "2\0" "3\0" "4\0"), f, &slot, 100), -1, "trailing bytes after the slot") ;
  {
    spawnchild_t c = { .pid = 1, .fd = -1, .out = STRALLOC_ZERO } ;
    int p[2] ;
    ok(pipe(p) == 0 && ndelay_on(p[0]) == 0, "a pipe for a child's output") ;
    c.fd = p[0] ;
    is(write(p[1], "0123456789", 10), 10, "the child writes 10 bytes") ;
    ok(spawnchild_readout(&c, 6) && c.out.len == 6 && !memcmp(c.out.s, "012345", 6), "only max bytes are kept") ;
    ok(spawnchild_readout(&c, 6) && c.fd == p[0], "nothing to read: the fd stays open") ;
    close(p[1]) ;
    ok(spawnchild_readout(&c, 6) && c.fd == -1 && c.out.len == 6, "end of file closes it") ;
    stralloc_free(&c.out) ;
  }
  return tap_done() ;
}
