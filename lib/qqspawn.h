/* qqspawn.h: start qmail-queue for one message: $QMAILQUEUE when the environment is trusted
   (home_env_trusted) and it is set, else QMAILHOME/bin/qmail-queue. The caller writes the whole
   message to *msgfd, closes it, then writes the envelope to *envfd and closes it (qmail-queue
   commits nothing without the envelope's final NUL: closing early aborts). With errfd nonzero,
   the child also gets fd 4, the write end of a pipe whose read end goes to *errfd: a
   QMAILQUEUE filter that exits 82 (QQ_CUSTOM) writes its own reply there, "D" (permanent) or
   "Z" (temporary) then the text. SIGPIPE gets its default action in the child. */
#ifndef QM_QQSPAWN_H
#define QM_QQSPAWN_H

#include <sys/types.h>
#include <skalibs/stralloc.h>

/* The program qq_spawn runs ($QMAILQUEUE or a path built in sa), or 0 (no memory). */
extern char const *qq_program (stralloc *sa) ;

/* the child's pid, or -1 with errno set; the returned fds are close-on-exec */
extern pid_t qq_spawn (int *msgfd, int *envfd, int *errfd) ;

/* Wait for it: its exit code, or -1 if it died by a signal (*sig gets it) or waitpid failed. */
extern int qq_wait (pid_t pid, int *sig) ;

/* After exit code 82: read the filter's reply from errfd (then closed) into sa as one line
   of printable ASCII without the D/Z letter. Returns 1 permanent, 0 temporary (also when the
   filter wrote nothing usable: then sa is empty). */
extern int qq_customreply (int errfd, stralloc *sa) ;

#endif
