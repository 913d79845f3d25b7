lib/home.o: lib/home.c lib/home.h
lib/home.h:
