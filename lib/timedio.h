/* timedio.h: reads and writes that give up after a timeout of secs seconds, counted afresh
   for each read or write that has to wait, as qmail counts its timeouts ("seconds to wait for
   each new buffer of data"). errno is ETIMEDOUT when one ran out.

   No clock is read: a socket prepared by timedio_prepare stays blocking and the kernel times
   its reads (SO_RCVTIMEO) or writes (SO_SNDTIMEO), so each is one system call; any other
   descriptor is non-blocking and waits in poll() with a relative timeout. On this design's
   hot path (one qmail-smtpd per connection), that took a third of qmail-smtpd's system calls
   away, and the clock's first use (page faults on the vDSO) with them; STYLE.md's
   deadlines are what these replace. */
#ifndef QM_TIMEDIO_H
#define QM_TIMEDIO_H

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/buffer.h>

/* Make fd ready for the functions below, for reading (writing = 0) or writing: returns
   TIMEDIO_SOCKET (a blocking socket with the kernel's timeout), TIMEDIO_POLL (made
   non-blocking) or -1 (errno set). */
#define TIMEDIO_POLL 0
#define TIMEDIO_SOCKET 1
extern int timedio_prepare (int fd, int writing, unsigned int secs) ;

/* Wait until fd is readable (or at its end), or writable (writing = 1): 1, or 0 (errno:
   ETIMEDOUT or poll's). */
extern int timedio_wait (int fd, int writing, unsigned int secs) ;

/* Fill b from its descriptor, prepared as mode: > 0 bytes, 0 end of file, -1 error or timeout. */
extern ssize_t timedio_fill (buffer *b, int mode, unsigned int secs) ;

/* Write out all of b: 1, or 0 on error or timeout. */
extern int timedio_flush (buffer *b, int mode, unsigned int secs) ;

/* On a non-blocking descriptor (TIMEDIO_POLL): 1 when all of s went out, 0 on error or
   timeout; what one read gives: > 0 bytes, 0 end of file, -1 error or timeout. */
extern int timedio_write (int fd, char const *s, size_t len, unsigned int secs) ;
extern ssize_t timedio_read (int fd, char *s, size_t len, unsigned int secs) ;

#endif
