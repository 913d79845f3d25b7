/* sched-core.h: qmail-send's bookkeeping, kept apart so it can be unit-tested: a min-heap of
   (time, message) per channel, an id -> message index map, and qmail's retry schedule.
   Every operation is O(log n) or O(1), so work per message stays flat as the queue grows. */
#ifndef QM_SCHED_CORE_H
#define QM_SCHED_CORE_H

#include <stdint.h>
#include <stddef.h>

typedef struct heapent_s { uint64_t when ; uint32_t msg ; } heapent_t ;
typedef struct heap_s { heapent_t *v ; size_t n, a ; } heap_t ;
#define HEAP_ZERO { 0, 0, 0 }
extern int heap_push (heap_t *h, uint64_t when, uint32_t msg) ;
extern int heap_pop (heap_t *h, heapent_t *out) ;    /* 0 when empty */
extern void heap_allnow (heap_t *h) ;                /* SIGALRM: everything is due */
extern void heap_free (heap_t *h) ;

/* id -> index; ids are inode numbers, never 0 */
typedef struct idmap_s { uint64_t *keys ; uint32_t *vals ; size_t n, size ; } idmap_t ;
#define IDMAP_ZERO { 0, 0, 0, 0 }
extern int idmap_put (idmap_t *m, uint64_t id, uint32_t val) ;
extern int idmap_get (idmap_t const *m, uint64_t id, uint32_t *val) ;
extern void idmap_del (idmap_t *m, uint64_t id) ;
extern void idmap_free (idmap_t *m) ;

/* qmail's schedule: birth + (floor(sqrt(now - birth)) + skip)^2, skip 10 local, 20 remote */
extern uint64_t sched_nextretry (uint64_t birth, uint64_t now, unsigned int skip) ;

#endif
