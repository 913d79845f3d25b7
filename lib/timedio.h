/* timedio.h: reads and writes on a non-blocking descriptor with a deadline of secs seconds
   (tain + iopause, never alarm). errno is ETIMEDOUT when the deadline passed. */
#ifndef QM_TIMEDIO_H
#define QM_TIMEDIO_H

#include <stddef.h>
#include <sys/types.h>

/* 1 when all of s went out, 0 on error or timeout. */
extern int timedio_write (int fd, char const *s, size_t len, unsigned int secs) ;
/* What one read gives: > 0 bytes, 0 end of file, -1 error or timeout. */
extern ssize_t timedio_read (int fd, char *s, size_t len, unsigned int secs) ;

#endif
