/* Unit tests of maildir/maildirwatch-core.c: header lookup, unfolding, cleaning, width. */
#include <skalibs/stralloc.h>
#include "../../maildir/maildirwatch-core.h"
#include "../tap.h"

static void field_is (char const *head, char const *name, size_t width, char const *want, char const *what)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = maildirwatch_field(&sa, head, strlen(head), name, width) ;
  if (want) { ok(r == 1, what) ; is_mem(sa.s, sa.len, want, what) ; }
  else ok(r == 0 && sa.len == 0, what) ;
  stralloc_free(&sa) ;
}

int main (void)
{
  field_is("From: a@b\nSubject: hi\n\nbody\n", "Subject", 79, "Subject: hi\n", "simple field") ;
  field_is("from:   a@b\n\n", "From", 79, "From: a@b\n", "name case-insensitive, leading blanks dropped") ;
  field_is("Subject: one\n  two\n\tthree\nX: y\n\n", "Subject", 79, "Subject: one  two three\n", "unfolded, tab as blank") ;
  field_is("Subject: one\r\n two\r\n\r\n", "Subject", 79, "Subject: one two\n", "CRLF unfolded") ;
  field_is("X: y\n\nSubject: in body\n", "Subject", 79, 0, "the body is not the header") ;
  field_is("X: y\r\n\r\nSubject: in body\r\n", "Subject", 79, 0, "CRLF blank line ends the header") ;
  field_is("X-Subject: no\nSubjectx: no\n\n", "Subject", 79, 0, "other fields do not match") ;
  field_is("X: y\n Subject: folded\n\n", "Subject", 79, 0, "a continuation line is not a field") ;
  field_is("Subject: first\nSubject: second\n\n", "Subject", 79, "Subject: first\n", "first occurrence") ;
  field_is("Subject: \033[2Jbell\007\n\n", "Subject", 79, "Subject: ?[2Jbell?\n", "controls shown as ?") ;
  field_is("Subject: 0123456789\n\n", "Subject", 12, "Subject: 012\n", "cut to width") ;
  field_is("Subject: \xc3\xa9\xc3\xa9\xc3\xa9\n\n", "Subject", 11, "Subject: \xc3\xa9\xc3\xa9\n", "UTF-8 characters count once, never cut in half") ;
  field_is("Subject:", "Subject", 79, "Subject: \n", "empty value at the end of the buffer") ;
  field_is("Subject: cut at the end of the buffer", "Subject", 79, "Subject: cut at the end of the buffer\n", "no final newline") ;
  field_is("", "Subject", 79, 0, "empty message") ;
  return tap_done() ;
}
