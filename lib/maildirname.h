/* maildirname.h: Maildir file names (cr.yp.to/proto/maildir.html). A new name is
   SECONDS.M<usec>P<pid>[V<dev hex>I<inode hex>].HOST[,S=<size>], HOST escaped (below);
   cur/ adds the info ":2,FLAGS", flags being ASCII letters in ASCII order. The parser also
   takes old names (1234.5678.host) and other ",X=..." fields. A name the parser refuses is still
   a valid Maildir file: treat a failure as "nothing known", never as a reason to skip a file. */
#ifndef QM_MAILDIRNAME_H
#define QM_MAILDIRNAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

typedef struct maildirname_s maildirname_t, *maildirname_t_ref ;
struct maildirname_s
{
  uint64_t sec ;
  uint32_t usec ;
  pid_t pid ;
  dev_t dev ;          /* with ino, used if hasdevino */
  ino_t ino ;
  uint64_t size ;      /* used if hassize */
  int hasdevino ;
  int hassize ;
  char const *host ;   /* 0: gethostname() */
} ;
#define MAILDIRNAME_ZERO { 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* sec, usec and pid of now and this process; the rest untouched. 0 and errno on failure. */
extern int maildirname_now (maildirname_t *m) ;

/* Append the name to sa; 1, or 0 with errno and sa as it was. In HOST, every byte other than
   A-Z a-z 0-9 "-" "." "_" becomes a backslash and three octal digits: "/" is \057 and ":" is
   \072 as the spec says, "," (the field separator) \054 and "\" itself \134. */
extern int maildirname_make (stralloc *sa, maildirname_t const *m) ;

typedef struct maildirname_parts_s maildirname_parts_t, *maildirname_parts_t_ref ;
struct maildirname_parts_s
{
  uint64_t sec ;
  uint64_t size ;        /* the ,S= field, if hassize */
  int hassize ;
  char const *host ;     /* as in the name (escaped), without the ,X= fields */
  size_t hostlen ;
  size_t uniqlen ;       /* the name up to the ":" (all of it without info) */
  int hasinfo ;          /* the name has ":2," */
  char const *flags ;    /* after ":2,", flagslen letters, in the name's order */
  size_t flagslen ;
} ;
#define MAILDIRNAME_PARTS_ZERO { 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* 1 if the name (len bytes, no directory) is SECONDS.UNIQ.HOST[,K=V]...[:2,LETTERS] with
   SECONDS decimal, UNIQ non-empty and dot-free, HOST non-empty, each field a letter, "=" and
   a value (S decimal, at most once). 0 with errno EINVAL otherwise (":1," info included). */
extern int maildirname_parse (maildirname_parts_t *p, char const *name, size_t len) ;

/* Append to sa the name with its info replaced by ":2," and the flags, sorted and without
   duplicates. Works on any Maildir name (not starting with ".", no "/") whose info, if any, is
   ":2,LETTERS". setflags sets exactly flags; mergeflags adds add then removes del (either may
   be 0). 0 with errno EINVAL for a bad name or a non-letter flag, ENOMEM; sa as it was. */
extern int maildirname_setflags (stralloc *sa, char const *name, size_t len, char const *flags) ;
extern int maildirname_mergeflags (stralloc *sa, char const *name, size_t len, char const *add, char const *del) ;

#endif
