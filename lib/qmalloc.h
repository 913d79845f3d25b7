/* qmalloc.h: a small allocator for short-lived, single-threaded programs.

   The static musl programs (Makefile: MUSL_PROGS) link lib/qmalloc.c built with
   -DQM_MALLOC_REPLACE, which makes these the program's malloc, calloc, realloc and free.
   musl's own allocator maps a fresh page for each size class it meets and unmaps it again
   when the class empties: on a virtual machine where a page fault costs 2 to 3 us and every
   mmap/munmap changes page tables, that was a fifth of qmail-smtpd's CPU per connection.

   Here, blocks come from one contiguous arena (in .bss, then 1 MB mappings), so the pages a
   program touches are few and dense, and memory is never given back until exit. A request
   is rounded up to a power of two from 16 bytes to 64 KB (its class) and a freed block goes
   on its class's free list for the next request of that class; larger requests get their
   own mapping, which realloc grows with mremap and free unmaps. realloc grows the newest
   small block in place. Pointers are 16-byte aligned. Not thread-safe: no program that links
   it starts threads. */
#ifndef QM_QMALLOC_H
#define QM_QMALLOC_H

#include <stddef.h>

extern void *qm_malloc (size_t) ;
extern void *qm_calloc (size_t, size_t) ;
extern void *qm_realloc (void *, size_t) ;
extern void qm_free (void *) ;

/* The usable size of a block from qm_malloc (at least what was asked). */
extern size_t qm_usable (void const *) ;

#endif
