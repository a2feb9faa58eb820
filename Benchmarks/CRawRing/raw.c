#include "CRawRing.h"
int crr_version(void) { return 1; }
