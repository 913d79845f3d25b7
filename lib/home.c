/* home.c: the configured home (CONF_HOME, from ./configure --home) and the QMAILHOME override. */
#include <unistd.h>
#include <stdlib.h>
#include <skalibs/strerr.h>
#include "home.h"

#ifndef CONF_HOME
#define CONF_HOME "/var/qmail"
#endif

/* Asked once: the answer is about how the program was started (setuid or setgid, or not),
   and a program that later changes its ids must not start trusting its environment. */
int home_env_trusted (void)
{
  static int trusted = -1 ;
  if (trusted < 0) trusted = getuid() == geteuid() && getgid() == getegid() ;
  return trusted ;
}

char const *home_dir (void)
{
  char const *h = home_env_trusted() ? getenv("QMAILHOME") : 0 ;
  return h && *h ? h : CONF_HOME ;
}

void home_chdir (void)
{
  char const *h = home_dir() ;
  if (chdir(h) == -1) strerr_diefusys(111, "chdir to ", h) ;
}
