/* inject.c: fuzz qmail-inject's header rewriting, one field per input (the first byte may
   prepend one of the address field names). A field it accepts comes out ending in a newline,
   its recipient lists are NUL-terminated, and rewriting the result again changes nothing. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-send/qmail-inject-core.h"
#include "common/fuzz.h"

static char const *const names[] =
{
  "To", "Cc", "Bcc", "From", "Sender", "Reply-To", "Mail-Followup-To", "Return-Path",
  "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-From", "Apparently-To", "Message-ID", "Subject", "to"
} ;

static inject_hosts_t const hosts = { "dh.example.org", "example.org", "plus.example.net" } ;

static void lists (inject_t const *ij)
{
  stralloc const *l[4] = { &ij->rcpts, &ij->resentrcpts, &ij->tocc, &ij->returnpath } ;
  for (int i = 0 ; i < 4 ; i++)
    if (l[i]->len) fuzz_assert(l[i]->s[l[i]->len - 1] == 0 || (i == 3 && l[i]->s[l[i]->len] == 0)) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  unsigned int pick = fuzz_take(&data, &size) ;
  stralloc field = STRALLOC_ZERO ;
  inject_t ij = INJECT_ZERO, again = INJECT_ZERO ;
  int r ;
  ij.hosts = again.hosts = hosts ;
  ij.flags = again.flags = pick >> 6 ;
  if ((pick & 0x3f) < 16 && !(stralloc_cats(&field, names[pick & 15]) && stralloc_catb(&field, ": ", 2))) abort() ;
  if (!stralloc_catb(&field, (char const *)data, size)) abort() ;
  {
    size_t n = inject_fieldname(field.s, field.len) ;
    fuzz_assert(n <= field.len) ;
    if (n) fuzz_assert(memchr(field.s + n, ':', field.len - n) != 0) ;
  }
  r = inject_field(&ij, field.s, field.len) ;
  fuzz_assert(r == 1 || r < -1) ;
  if (r == 1)
  {
    lists(&ij) ;
    if (ij.header.len)
    {
      fuzz_assert(ij.header.s[ij.header.len - 1] == '\n') ;
      if (inject_fieldname(field.s, field.len))
      {
        int r2 = inject_field(&again, ij.header.s, ij.header.len) ;
        if (r2 != 1 || !fuzz_same(again.header.s, again.header.len, ij.header.s, ij.header.len))
        {
          fprintf(stderr, "first:  %.*s\nsecond: %.*s\n", (int)ij.header.len, ij.header.s, (int)again.header.len, again.header.s) ;
          abort() ;
        }
        fuzz_assert(fuzz_same(again.rcpts.s, again.rcpts.len, ij.rcpts.s, ij.rcpts.len)) ;
      }
    }
  }
  inject_free(&ij) ;
  inject_free(&again) ;
  stralloc_free(&field) ;
  return 0 ;
}
