/* spawnjob.h: what qmail-lspawn and qmail-rspawn share: the jobs qmail-send writes to them
   (doc/QUEUE.md), "slot NUL id NUL bodyoff NUL sender NUL recipient NUL" one after the other,
   and the bookkeeping of the children that run them. */
#ifndef QM_SPAWNJOB_H
#define QM_SPAWNJOB_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

#define SPAWNJOB_FIELDS 5

/* The next job in s[0..len): its fields in f[] (pointing into s, NUL-terminated there) and the
   slot number. Returns the length of the record, 0 if it is not complete yet, or -1 if the
   slot is not a decimal number below slotmax. */
extern long spawnjob_next (char const *s, size_t len, char const **f, unsigned int *slot, unsigned int slotmax) ;

typedef struct spawnchild_s spawnchild_t, *spawnchild_t_ref ;
struct spawnchild_s
{
  pid_t pid ;          /* 0: slot free */
  int fd ;             /* its output; -1 once at end of file */
  int wstat ;
  int exited ;
  unsigned int slot ;  /* qmail-send's slot number */
  stralloc out ;       /* its output, at most the caller's max bytes */
} ;

/* Read what the child wrote on c->fd, keeping at most max bytes; at end of file c->fd is
   closed and set to -1. 0 if out of memory, else 1. */
extern int spawnchild_readout (spawnchild_t *c, size_t max) ;

/* Collect every child that has exited (waitpid WNOHANG) into its entry of kids[0..n). */
extern void spawnchild_reap (spawnchild_t *kids, unsigned int n) ;

/* The life of qmail-lspawn and qmail-rspawn. Jobs from qmail-send are read on fd 0; each goes
   to a free entry of kids[0..max) (its slot set) and start(c, f, ctx) runs it: it sets c->pid,
   c->fd, c->exited = 0 and empties c->out, or reports the failure itself. Each child's output
   is read (at most outmax bytes); once it has exited and closed its output, report(c, ctx)
   answers qmail-send. Both leave c->pid 0 when they have reported. Returns at the end of fd 0
   once every child has been reported; dies (111, or 101 on a garbled job) on trouble. */
typedef void spawnjob_start_fn (spawnchild_t *c, char const *const *f, void *ctx) ;
typedef void spawnjob_report_fn (spawnchild_t *c, void *ctx) ;
extern void spawnjob_loop (spawnchild_t *kids, unsigned int max, size_t outmax,
  spawnjob_start_fn *start, spawnjob_report_fn *report, void *ctx) ;

#endif
