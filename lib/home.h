/* home.h: where the instance lives, and whether the environment may be trusted.
   A program running setuid or setgid ignores every environment override of paths or values. */
#ifndef QM_HOME_H
#define QM_HOME_H

extern int home_env_trusted (void) ;
extern char const *home_dir (void) ;   /* $QMAILHOME if trusted and set, else the configured home */
extern void home_chdir (void) ;        /* chdir(home_dir()) or die 111 naming it */

#endif
