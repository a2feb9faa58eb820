#ifndef CRAWRING_H
#define CRAWRING_H
int crr_version(void);
#endif
