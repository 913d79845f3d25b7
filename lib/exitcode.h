/* exitcode.h: the exit-code contract of every program (STYLE.md habit 4), and the one table that
   maps exit codes (ours and qmail-queue's) to SMTP and POP3 replies. */
#ifndef QM_EXITCODE_H
#define QM_EXITCODE_H

#include <skalibs/stralloc.h>

#define QX_OK 0
#define QX_PERM 100   /* permanent failure, or usage error */
#define QX_BUG 101    /* internal bug */
#define QX_TEMP 111   /* temporary failure: try again later */

/* qmail-queue's own codes (qmail-queue(8)); 11..40 are permanent, the rest temporary */
#define QQ_ADDRTOOLONG 11
#define QQ_PERMREFUSED 31
#define QQ_NOMEM 51
#define QQ_TIMEOUT 52
#define QQ_WRITE 53
#define QQ_READ 54
#define QQ_CONFIG 55
#define QQ_NETWORK 56
#define QQ_HOME 61
#define QQ_QUEUE 62
#define QQ_QUEUEPID 63
#define QQ_QUEUEMESS 64
#define QQ_QUEUEINTD 65
#define QQ_QUEUETODO 66
#define QQ_TEMPREFUSED 71
#define QQ_CONNTIMEOUT 72
#define QQ_CONNREJECT 73
#define QQ_COMMFAIL 74
#define QQ_BUG 81
#define QQ_CUSTOM 82   /* a QMAILQUEUE filter's own text follows (issue 4) */
#define QQ_ENVELOPE 91

typedef struct exitreply_s exitreply_t, *exitreply_t_ref ;
struct exitreply_s
{
  int code ;              /* exit code */
  char const *smtp ;      /* three-digit SMTP reply code */
  char const *enhanced ;  /* RFC 3463 status code */
  char const *text ;      /* human text, without the codes */
} ;

extern int exitcode_permanent (int code) ;
extern exitreply_t const *exitreply_qq (int code) ;      /* qmail-queue's codes */
extern exitreply_t const *exitreply_program (int code) ; /* the 0/100/101/111 contract */
/* Append one reply line with CRLF: "451 4.3.0 text\r\n", "-ERR [SYS/TEMP] text\r\n" */
extern int exitreply_smtp (stralloc *sa, exitreply_t const *r) ;
extern int exitreply_pop3 (stralloc *sa, exitreply_t const *r) ;

#endif
