/* pop3box-core.h: the Maildir as qmail-pop3d sees it, in the current directory. At login:
   stale tmp/ files go, cur/ and new/ are listed in the order of delivery (mtime, then name, as
   qmail does). Sizes are counted only when asked for. At QUIT (pop3box_update): deleted
   messages leave the maildrop by a rename into tmp/, cur/ and new/ are fsynced, and only after
   the client has its answer are the files removed (pop3box_purge): on this hardware an unlink
   costs five renames. Kept messages of new/ move to cur/ (with ":2,") then. */
#ifndef QM_POP3BOX_CORE_H
#define QM_POP3BOX_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#define POP3BOX_STALE (36 * 3600)  /* tmp/ files older than this are left over by a crash */

typedef struct pop3msg_s pop3msg_t, *pop3msg_t_ref ;
struct pop3msg_s
{
  size_t name ;     /* offset of "cur/NAME\0" or "new/NAME\0" in the box's names, while scanning */
  char const *path ;  /* "cur/NAME" or "new/NAME", after the scan */
  time_t mtime ;
  uint64_t size ;   /* as pop3_size counts it, if sized */
  int sized ;
  int deleted ;
} ;

typedef struct pop3box_s pop3box_t, *pop3box_t_ref ;
struct pop3box_s
{
  stralloc names ;
  genalloc msgs ;   /* pop3msg_t */
  stralloc buf ;    /* for reading messages */
} ;
#define POP3BOX_ZERO { STRALLOC_ZERO, GENALLOC_ZERO, STRALLOC_ZERO }
#define pop3box_len(b) genalloc_len(pop3msg_t, &(b)->msgs)
#define pop3box_msg(b, i) (genalloc_s(pop3msg_t, &(b)->msgs) + (i))
#define pop3box_path(b, i) (pop3box_msg(b, i)->path)

/* Remove the files of tmp/ last changed before now - POP3BOX_STALE. Number removed, or -1. */
extern int pop3box_cleantmp (time_t now) ;
/* List cur/ and new/: 1, or 0 with errno */
extern int pop3box_scan (pop3box_t *b) ;
/* QUIT's update: each deleted message renamed into tmp/ (its tmp/ path appended to gone,
   NUL-terminated; *removed counted; one that has vanished is another reader's), kept ones of
   new/ moved to cur/NAME:2,, then cur/ and new/ fsynced if a deletion changed them. 1 if every
   deletion is done and durable, else 0 with errno (the others are still done). */
extern int pop3box_update (pop3box_t *b, stralloc *gone, size_t *removed) ;
/* Remove the files pop3box_update put in tmp/ (a failure is left to pop3box_cleantmp) */
extern void pop3box_purge (char const *gone, size_t len) ;
/* Make sure message i is sized: 1, or 0 with errno (a vanished file is size 0) */
extern int pop3box_size (pop3box_t *b, size_t i) ;
/* Open message i for reading: the fd, or -1 with errno */
extern int pop3box_open (pop3box_t const *b, size_t i) ;
extern void pop3box_free (pop3box_t *b) ;

#endif
