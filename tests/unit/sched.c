/* Unit tests of qmail-send/sched-core.c: heap order, id map under churn, retry schedule. */
#include <stdlib.h>
#include "../../qmail-send/sched-core.h"
#include "../tap.h"

int main (void)
{
  heap_t h = HEAP_ZERO ;
  heapent_t e ;
  idmap_t m = IDMAP_ZERO ;
  uint32_t v ;
  uint64_t last = 0 ;
  int sorted = 1, all = 1 ;
  srand(42) ;
  for (uint32_t i = 0 ; i < 5000 ; i++) heap_push(&h, (uint64_t)(rand() % 1000), i) ;
  is(h.n, 5000, "5000 pushed") ;
  for (int i = 0 ; i < 5000 ; i++) { if (!heap_pop(&h, &e)) all = 0 ; if (e.when < last) sorted = 0 ; last = e.when ; }
  ok(all && sorted, "popped in time order") ;
  ok(!heap_pop(&h, &e), "empty heap pops nothing") ;
  heap_push(&h, 50, 1) ; heap_push(&h, 10, 2) ; heap_push(&h, 30, 3) ;
  heap_allnow(&h) ;
  ok(heap_pop(&h, &e) && e.when == 0 && e.msg == 1, "after allnow everything is due, ties by message") ;
  heap_free(&h) ;

  for (uint64_t id = 1 ; id <= 20000 ; id++) idmap_put(&m, id * 7919, (uint32_t)id) ;
  is(m.n, 20000, "20000 ids") ;
  for (uint64_t id = 1 ; id <= 20000 ; id += 2) idmap_del(&m, id * 7919) ;
  is(m.n, 10000, "half deleted") ;
  all = 1 ;
  for (uint64_t id = 1 ; id <= 20000 ; id++)
  {
    int found = idmap_get(&m, id * 7919, &v) ;
    if (id % 2 ? found : !found || v != id) all = 0 ;
  }
  ok(all, "every remaining id found with its value, every deleted one gone") ;
  ok(idmap_put(&m, 2 * 7919, 99) && idmap_get(&m, 2 * 7919, &v) && v == 99 && m.n == 10000, "put replaces") ;
  ok(!idmap_put(&m, 0, 1), "id 0 refused") ;
  idmap_free(&m) ;

  is(sched_nextretry(1000, 1000, 10), 1100, "first local retry: birth + 10^2") ;
  is(sched_nextretry(1000, 1000, 20), 1400, "first remote retry: birth + 20^2") ;
  is(sched_nextretry(1000, 1000 + 3600, 20), 1000 + 80 * 80, "after an hour: (60 + 20)^2") ;
  is(sched_nextretry(1000, 1000 + 3601, 20), 1000 + 80 * 80, "sqrt is floored") ;
  is(sched_nextretry(1000, 500, 10), 1100, "clock before birth: as at birth") ;
  is(sched_nextretry(0, 4000000000ULL, 10), 63255UL * 63255UL, "huge age: no overflow, no long loop") ;
  return tap_done() ;
}
