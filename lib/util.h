/* util.h — small language helpers shared by every module. */
#ifndef GIGD_UTIL_H
#define GIGD_UTIL_H

/* The number of elements of an array. Passing a pointer is a compile error (the
 * second term is a negative-size bit-field when a and &a[0] have the same type). */
#ifdef __CPPCHECK__ /* cppcheck cannot parse the check below; the compilers do it */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#else
#define GIGD_IS_ARRAY_(a) (!__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + 0 * sizeof(struct { int array_required_ : GIGD_IS_ARRAY_(a) ? 1 : -1; }))
#endif

#endif
