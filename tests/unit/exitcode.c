/* Unit tests of lib/exitcode.c: the exit-code to reply table. */
#include <skalibs/stralloc.h>
#include "exitcode.h"
#include "../tap.h"

static void smtp_is (int code, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(exitreply_smtp(&sa, exitreply_qq(code)), "format") ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

int main (void)
{
  stralloc sa = STRALLOC_ZERO ;
  smtp_is(0, "250 2.0.0 ok\r\n", "success") ;
  smtp_is(QQ_WRITE, "451 4.3.0 qq write error or disk full\r\n", "disk full is temporary") ;
  smtp_is(QQ_ADDRTOOLONG, "554 5.1.3 address too long\r\n", "address too long is permanent") ;
  smtp_is(35, "554 5.3.0 qq permanent problem\r\n", "unknown 11..40 is permanent") ;
  smtp_is(41, "451 4.3.0 qq temporary problem\r\n", "unknown 41 is temporary") ;
  smtp_is(1, "451 4.3.0 qq temporary problem\r\n", "unknown 1 is temporary") ;
  smtp_is(QQ_ENVELOPE, "451 4.3.0 qq internal bug\r\n", "envelope error is our bug: temporary") ;
  smtp_is(QQ_CONNTIMEOUT, "451 4.4.1 connection to mail server timed out\r\n", "QMQP timeout") ;
  ok(exitcode_permanent(QX_PERM) && !exitcode_permanent(QX_TEMP) && !exitcode_permanent(QX_BUG), "program contract") ;
  ok(exitreply_pop3(&sa, exitreply_program(QX_TEMP)), "pop3 format") ;
  is_mem(sa.s, sa.len, "-ERR [SYS/TEMP] temporary failure\r\n", "pop3 temporary with RFC 3206 code") ;
  sa.len = 0 ;
  ok(exitreply_pop3(&sa, exitreply_program(QX_PERM)), "pop3 format") ;
  is_mem(sa.s, sa.len, "-ERR [SYS/PERM] permanent failure\r\n", "pop3 permanent") ;
  sa.len = 0 ;
  ok(exitreply_smtp(&sa, exitreply_program(77)), "unknown program code") ;
  is_mem(sa.s, sa.len, "451 4.3.0 internal bug\r\n", "unknown program code is a bug, temporary") ;
  stralloc_free(&sa) ;
  return tap_done() ;
}
