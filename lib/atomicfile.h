/* atomicfile.h: replace a file (a compiled cdb, say) so that readers see the old or the new
   one, never a mixture, and the new one survives a crash: write TMP, fsync it, rename it over
   the final name, fsync the directory. TMP is locked against a concurrent writer. */
#ifndef QM_ATOMICFILE_H
#define QM_ATOMICFILE_H

#include <sys/types.h>

/* Open tmp for writing, locked, empty, with the given mode whatever the umask: the fd, or -1
   with errno. After waiting for the lock the file may have been renamed by the other writer:
   then it opens again, until the locked file is still the one named tmp. */
extern int atomicfile_open (char const *tmp, mode_t mode) ;

/* fsync fd, rename tmp to final, close fd, fsync final's directory. 1, or 0 with errno (tmp is
   removed when the rename did not happen). */
extern int atomicfile_commit (int fd, char const *tmp, char const *final) ;

#endif
