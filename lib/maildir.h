/* maildir.h: read a Maildir (see maildir(5) in qmail): check its layout, list the messages in
   new/ and cur/ sorted by delivery time. A message's delivery time is the decimal number its
   name starts with (the Maildir naming rule), else its mtime; equal times sort by name.
   Dotfiles and anything but regular files are skipped; tmp/ is never listed. */
#ifndef QM_MAILDIR_H
#define QM_MAILDIR_H

#include <stdint.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

typedef struct maildir_msg_s maildir_msg_t, *maildir_msg_t_ref ;
struct maildir_msg_s
{
  char const *path ;  /* "DIR/new/NAME" or "DIR/cur/NAME", NUL-terminated */
  char const *name ;  /* NAME, the tail of path */
  uint64_t time ;     /* delivery time, seconds since the epoch */
  int cur ;           /* 1 in cur/ (seen by a reader), 0 in new/ */
  size_t pos ;        /* offset of path in the list's names; used while scanning */
} ;

typedef struct maildir_list_s maildir_list_t, *maildir_list_t_ref ;
struct maildir_list_s
{
  stralloc names ;  /* the paths, each NUL-terminated */
  genalloc msgs ;   /* maildir_msg_t, sorted */
} ;
#define MAILDIR_LIST_ZERO { .names = STRALLOC_ZERO, .msgs = GENALLOC_ZERO }

#define maildir_list_len(l) genalloc_len(maildir_msg_t, &(l)->msgs)
#define maildir_list_msg(l, i) (genalloc_s(maildir_msg_t, &(l)->msgs) + (i))

/* 1: dir holds the directories tmp/, new/ and cur/. 0: it is no Maildir, *why says how
   ("not a directory", "no new/ subdirectory"...). -1: error (errno set; ENOENT: no dir). */
extern int maildir_check (char const *dir, char const **why) ;
/* Fill l (its previous content is dropped). 1 on success, 0 on error with errno set.
   A file that vanishes during the scan (another reader took it) is left out. */
extern int maildir_scan (maildir_list_t *l, char const *dir) ;
extern void maildir_list_free (maildir_list_t *l) ;

/* 1 and *t set if name starts with a decimal number that fits, else 0 */
extern int maildir_nametime (char const *name, uint64_t *t) ;
/* The flags of a name in cur/ ("RS" in "123.x.host:2,RS"), or 0 when it has no ":2," part */
extern char const *maildir_flags (char const *name) ;
/* fsync a directory, to commit the creation, rename or removal of its entries. 1 ok, 0 error */
extern int maildir_syncdir (char const *dir) ;

#endif
