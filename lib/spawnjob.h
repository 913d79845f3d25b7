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

#endif
