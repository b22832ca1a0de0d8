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
/* Forgets every allocation; keeps the chunks for reuse, up to
 * PA_KEEP_BYTES of them: a record that needed more gives the rest back to
 * the system, so one huge profile does not hold its memory for the life
 * of the process (a PostgreSQL backend, a service). */
void pa_reset(PArena *a);
#define PA_KEEP_BYTES ((size_t)8 << 20)
/* Bytes of chunks the arena holds now (tests, diagnostics). */
size_t pa_retained(const PArena *a);
/* The chunk-switching part of pa_alloc(); `size` is already rounded. */
void *pa_alloc_slow(PArena *a, size_t size);

/* 16-byte aligned; NULL when the limit would be exceeded or memory is out
 * (input-controlled sizes must be checked by the caller). Inline: the
 * decoder allocates once per event. */
static inline void *pa_alloc(PArena *a, size_t size) {
  if (size > SIZE_MAX - 15) return NULL; /* the rounding would wrap */
  size = size ? (size + 15) & ~(size_t)15 : 16;
  if (a->ptr && (size_t)(a->end - a->ptr) >= size) {
    void *p = a->ptr;
    a->ptr += size;
    return p;
  }
  return pa_alloc_slow(a, size);
}

/* A point to go back to: everything allocated after pa_mark() is forgotten
 * by pa_rewind() (the chunks are kept). The decoder's fast path uses it to
 * undo its work when it hands a record to the general decoder. */
typedef struct PArenaMark {
  PArenaChunk *head;
  char *ptr;
  size_t used;
} PArenaMark;

static inline PArenaMark pa_mark(const PArena *a) {
  PArenaMark m = {a->head, a->ptr, a->used};
  return m;
}

void pa_rewind(PArena *a, PArenaMark m);

/* Copy of s[0..len) plus a NUL terminator. */
char *pa_strndup(PArena *a, const char *s, size_t len);

#endif
