/* exitcode.c: the single exit-code to reply table. Texts follow qmail-smtpd's wording. */
#include <skalibs/stralloc.h>
#include "exitcode.h"

static exitreply_t const qq_table[] =
{
  { QX_OK, "250", "2.0.0", "ok" },
  { QQ_ADDRTOOLONG, "554", "5.1.3", "address too long" },
  { QQ_PERMREFUSED, "554", "5.3.0", "mail server permanently rejected message" },
  { QQ_NOMEM, "451", "4.3.0", "qq out of memory" },
  { QQ_TIMEOUT, "451", "4.3.0", "qq timeout" },
  { QQ_WRITE, "451", "4.3.0", "qq write error or disk full" },
  { QQ_READ, "451", "4.3.0", "qq read error" },
  { QQ_CONFIG, "451", "4.3.0", "qq unable to read configuration" },
  { QQ_NETWORK, "451", "4.3.0", "qq trouble making network connection" },
  { QQ_HOME, "451", "4.3.0", "qq trouble in home directory" },
  { QQ_QUEUE, "451", "4.3.0", "qq trouble creating files in queue" },
  { QQ_QUEUEPID, "451", "4.3.0", "qq trouble creating files in queue" },
  { QQ_QUEUEMESS, "451", "4.3.0", "qq trouble creating files in queue" },
  { QQ_QUEUEINTD, "451", "4.3.0", "qq trouble creating files in queue" },
  { QQ_QUEUETODO, "451", "4.3.0", "qq trouble creating files in queue" },
  { QQ_TEMPREFUSED, "451", "4.3.0", "mail server temporarily rejected message" },
  { QQ_CONNTIMEOUT, "451", "4.4.1", "connection to mail server timed out" },
  { QQ_CONNREJECT, "451", "4.4.1", "connection to mail server rejected" },
  { QQ_COMMFAIL, "451", "4.4.2", "communication with mail server failed" },
  { QQ_BUG, "451", "4.3.0", "qq internal bug" },
  { QQ_ENVELOPE, "451", "4.3.0", "qq internal bug" },
} ;
static exitreply_t const qq_temp = { -1, "451", "4.3.0", "qq temporary problem" } ;
static exitreply_t const qq_perm = { -1, "554", "5.3.0", "qq permanent problem" } ;

static exitreply_t const program_table[] =
{
  { QX_OK, "250", "2.0.0", "ok" },
  { QX_PERM, "554", "5.3.0", "permanent failure" },
  { QX_BUG, "451", "4.3.0", "internal bug" },
  { QX_TEMP, "451", "4.3.0", "temporary failure" },
} ;

int exitcode_permanent (int code)
{
  return code == QX_PERM || (code >= 11 && code <= 40) ;
}

exitreply_t const *exitreply_qq (int code)
{
  for (size_t i = 0 ; i < sizeof qq_table / sizeof *qq_table ; i++)
    if (qq_table[i].code == code) return qq_table + i ;
  return exitcode_permanent(code) ? &qq_perm : &qq_temp ;
}

exitreply_t const *exitreply_program (int code)
{
  for (size_t i = 0 ; i < sizeof program_table / sizeof *program_table ; i++)
    if (program_table[i].code == code) return program_table + i ;
  return exitreply_program(QX_BUG) ;
}

int exitreply_smtp (stralloc *sa, exitreply_t const *r)
{
  return stralloc_cats(sa, r->smtp) && stralloc_catb(sa, " ", 1) && stralloc_cats(sa, r->enhanced)
    && stralloc_catb(sa, " ", 1) && stralloc_cats(sa, r->text) && stralloc_catb(sa, "\r\n", 2) ;
}

int exitreply_pop3 (stralloc *sa, exitreply_t const *r)
{
  char const *code = r->smtp[0] == '2' ? "+OK " : r->smtp[0] == '5' ? "-ERR [SYS/PERM] " : "-ERR [SYS/TEMP] " ;
  return stralloc_cats(sa, code) && stralloc_cats(sa, r->text) && stralloc_catb(sa, "\r\n", 2) ;
}
