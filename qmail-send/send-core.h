/* send-core.h: qmail-send's state. Messages live in a table indexed by slot; each channel
   (local, remote) has a heap of retry times, a list of messages whose current attempt still
   has recipients to start, and a fixed number of delivery slots (its concurrency). */
#ifndef QM_SEND_CORE_H
#define QM_SEND_CORE_H

#include <stdint.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "cleanclient.h"
#include "rewrite.h"
#include "sched-core.h"

#define CH_LOCAL 0
#define CH_REMOTE 1

typedef struct msg_s msg_t ;
struct msg_s
{
  uint64_t id ;
  uint64_t birth ;
  uint64_t bodyoff ;
  uint32_t pending[2] ;    /* recipients still L or R (not delivered, not failed) */
  uint32_t inflight[2] ;
  size_t cursor[2] ;       /* header offset of the next recipient of this attempt; 0: none */
  unsigned char waiting[2] ; /* in the heap or the active list */
  unsigned char deferred[2] ;
  unsigned char failed ;   /* some recipient is X: a bounce is owed */
  unsigned char held ;     /* qmail-qctl hold: nothing is started */
  unsigned char deleting ; /* qmail-qctl delete: removed, without bounce, when idle */
  unsigned char used ;
} ;

typedef struct job_s job_t ;
struct job_s
{
  uint32_t msg ;
  uint64_t off ;           /* the recipient's state letter in the header */
  unsigned int delnum ;    /* the number in the log */
  unsigned char busy ;
  stralloc addr ;
} ;

typedef struct channel_s channel_t ;
struct channel_s
{
  int jobfd, resultfd ;    /* -1: no spawner; this channel's mail waits */
  unsigned long concurrency ;
  unsigned int busy ;
  job_t *jobs ;
  heap_t heap ;
  genalloc active ;        /* uint32_t message indexes */
  stralloc in ;            /* partial results */
} ;

typedef struct send_s send_t ;
struct send_s
{
  unsigned int split ;
  channel_t ch[2] ;
  genalloc msgs ;          /* msg_t */
  genalloc freemsgs ;      /* uint32_t */
  idmap_t ids ;
  cleanclient_t clean ;
  int todofd, announcefd ;
  int sigfd ;             /* the selfpipe */
  int ctlfd ;             /* lock/ctl, commands from qmail-qctl; -1 if absent */
  stralloc ctl ;
  stralloc announce ;
  rewrite_t rw ;
  stralloc me, bouncefrom, bouncehost, doublebounceto, doublebouncehost ;
  unsigned long queuelifetime, bouncemaxbytes ;
  unsigned int delnum ;
  int exiting ;
  uint64_t nextbouncetry ;
  stralloc hdr, tmp, bounce ;
} ;
#define SEND_ZERO { .ch = { { .jobfd = -1, .resultfd = -1 }, { .jobfd = -1, .resultfd = -1 } }, .clean = CLEANCLIENT_ZERO, .todofd = -1, .announcefd = -1, .ctlfd = -1 }

/* qmail-send-core.c: messages and deliveries */
/* In the home: the control files; initial: also the concurrencies, and trouble is fatal.
   Otherwise (HUP) trouble is logged and the old values stay: 0. */
extern int send_config (send_t *s, int initial) ;
extern void send_load (send_t *s, uint64_t id) ;
extern void send_scan (send_t *s) ;
extern void send_start (send_t *s, uint64_t now) ;
extern void send_result (send_t *s, int c, unsigned int slot, char code, char const *text) ;
extern void send_retrybounces (send_t *s, uint64_t now) ;
extern void send_control (send_t *s, char cmd, uint64_t id) ;  /* one lock/ctl command */
extern void send_log (char const *const *v, unsigned int n) ;
#define send_log_(...) send_log((char const *const[]){ __VA_ARGS__ }, sizeof((char const *const[]){ __VA_ARGS__ }) / sizeof(char const *))
extern void send_status (send_t const *s) ;

/* qmail-send.c */
extern void send_setup (send_t *s) ;
extern void send_loop (send_t *s) ;

#endif
