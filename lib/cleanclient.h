/* cleanclient.h: the client side of qmail-clean's protocol (doc/QUEUE.md), synchronous:
   each call sends one request line and waits for its answer. A refused request is a warning
   on stderr and returns 0; a dead qmail-clean is fatal (111): qmail-start restarts us all. */
#ifndef QM_CLEANCLIENT_H
#define QM_CLEANCLIENT_H

#include <stdint.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

typedef struct cleanclient_s cleanclient_t, *cleanclient_t_ref ;
struct cleanclient_s
{
  int wfd ;
  buffer in ;
  char inbuf[512] ;
  stralloc req ;
  stralloc ans ;
} ;
#define CLEANCLIENT_ZERO { .wfd = -1, .in = BUFFER_ZERO, .req = STRALLOC_ZERO, .ans = STRALLOC_ZERO }

extern void cleanclient_init (cleanclient_t *c, int wfd, int rfd) ;
extern int cleanclient_write (cleanclient_t *c, char dir, uint64_t id, uint64_t off, char const *bytes, size_t len) ;
extern int cleanclient_writetime (cleanclient_t *c, char dir, uint64_t id, uint64_t off, uint64_t t) ;
extern int cleanclient_sync (cleanclient_t *c, char dir, uint64_t id) ;
extern int cleanclient_move (cleanclient_t *c, uint64_t id) ;
extern int cleanclient_remove (cleanclient_t *c, uint64_t id) ;
extern int cleanclient_pidclean (cleanclient_t *c) ;

#endif
