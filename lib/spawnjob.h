/* spawnjob.h: the jobs qmail-send writes to qmail-lspawn and qmail-rspawn (doc/QUEUE.md):
   "slot NUL id NUL bodyoff NUL sender NUL recipient NUL", one after the other. */
#ifndef QM_SPAWNJOB_H
#define QM_SPAWNJOB_H

#include <stddef.h>

#define SPAWNJOB_FIELDS 5

/* The next job in s[0..len): its fields in f[] (pointing into s, NUL-terminated there) and the
   slot number. Returns the length of the record, 0 if it is not complete yet, or -1 if the
   slot is not a decimal number below slotmax. */
extern long spawnjob_next (char const *s, size_t len, char const **f, unsigned int *slot, unsigned int slotmax) ;

#endif
