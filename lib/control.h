/* control.h: read one value per file from control/ (relative to the cwd: chdir home first).
   Results: CONTROL_DEFAULT (file missing, default used), CONTROL_FILE, CONTROL_ENV,
   or a negative error with errno set (EINVAL: malformed value); pass it to control_die.
   A missing final newline is fine; trailing blanks and CR are stripped. */
#ifndef QM_CONTROL_H
#define QM_CONTROL_H

#include <skalibs/gccattributes.h>
#include <skalibs/stralloc.h>

#define CONTROL_DEFAULT 0
#define CONTROL_FILE 1
#define CONTROL_ENV 2
#define CONTROL_ERR_FILE (-1)
#define CONTROL_ERR_ENV (-2)

/* flags */
#define CONTROL_ENVOK 1   /* $NAME (uppercased file name) overrides the file, unless setuid */
#define CONTROL_ME 2      /* a missing file defaults to control/me before def */

/* sa holds the value, NUL-terminated, sa->len not counting the NUL */
extern int control_readline (stralloc *sa, char const *name, char const *def, unsigned int flags) ;
extern int control_readulong (unsigned long *u, char const *name, unsigned long def, unsigned int flags) ;
/* one item per line, blanks stripped, empty lines and #comments skipped; sa holds the items
   each followed by a NUL; *n gets their count. A missing file is an empty list. */
extern int control_readlist (stralloc *sa, size_t *n, char const *name) ;

/* For a program that reads its control files once, when it starts (qmail-smtpd, once per
   connection): list control/ now, so that the reads that follow make no system call for a
   file that is not there. An open that fails costs as much as one that works (3 to 4 us on
   a virtual machine), and most control files are usually absent. Until control_unlist, a
   file created meanwhile is not seen. 1, or 0 if control/ could not be listed (then every
   read tries the file, as without it). */
extern int control_list (void) ;
extern void control_unlist (void) ;
/* 1 when control/name is known to be absent (listed, and not in the listing), else 0 */
extern int control_absent (char const *name) ;

#define CONTROL_NAMEMAX 200   /* longer names are refused (ENAMETOOLONG) */

extern size_t control_envname (char *buf, size_t max, char const *name) ;
extern void control_die (char const *name, int r) gccattr_noreturn ;
/* the same words as a warning, for a reread (HUP) that keeps the old values */
extern void control_warn (char const *name, int r) ;

#endif
