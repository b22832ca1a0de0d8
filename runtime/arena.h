/* arena.h - a bump allocator for per-record memory.
 *
 * Everything one evaluation allocates (decoded strings with escapes, lists,
 * records, intermediate strings) comes from an arena that is reset, not
 * freed piece by piece, before the next record. Chunks are kept across
 * resets, so a steady stream of records allocates nothing from the system.
 *
 * Ownership: the arena owns its chunks; pointers it returns are valid until
 * the next pa_reset() or pa_free().
 */
#ifndef PERSONA_ARENA_H
#define PERSONA_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct PArenaChunk PArenaChunk;

typedef struct PArena {
  PArenaChunk *head;    /* chunk being filled */
  PArenaChunk *first;   /* first chunk (kept on reset) */
  char *ptr, *end;      /* free space in head */
  size_t limit;         /* total bytes allowed, 0 = unlimited */
  size_t used;          /* bytes in chunks before head */
} PArena;

void pa_init(PArena *a, size_t limit);
void pa_free(PArena *a);
/* Forgets every allocation; keeps the chunks for reuse. */
void pa_reset(PArena *a);
/* 16-byte aligned; NULL when the limit would be exceeded or memory is out
 * (input-controlled sizes must be checked by the caller). */
void *pa_alloc(PArena *a, size_t size);
/* Copy of s[0..len) plus a NUL terminator. */
char *pa_strndup(PArena *a, const char *s, size_t len);

#endif
