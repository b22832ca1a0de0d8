/* arena.c - bump allocator; see arena.h. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct PArenaChunk {
  PArenaChunk *next;
  size_t size;      /* usable bytes after the header */
  _Alignas(16) char data[];
};

enum { PA_MIN_CHUNK = 64 * 1024 };

void pa_init(PArena *a, size_t limit) {
  memset(a, 0, sizeof *a);
  a->limit = limit;
}

void pa_free(PArena *a) {
  PArenaChunk *c = a->first;
  while (c) {
    PArenaChunk *next = c->next;
    free(c);
    c = next;
  }
  memset(a, 0, sizeof *a);
}

void pa_reset(PArena *a) {
  /* Keep chunks, in order, while they fit in PA_KEEP_BYTES; free the
   * others (a huge one first of all). */
  size_t kept = 0;
  PArenaChunk **link = &a->first;
  while (*link) {
    PArenaChunk *c = *link;
    if (kept + c->size <= PA_KEEP_BYTES) {
      kept += c->size;
      link = &c->next;
    } else {
      *link = c->next;
      free(c);
    }
  }
  a->head = a->first;
  a->used = 0;
  if (a->head) {
    a->ptr = a->head->data;
    a->end = a->head->data + a->head->size;
  } else {
    a->ptr = a->end = NULL;
  }
}

size_t pa_retained(const PArena *a) {
  size_t n = 0;
  for (const PArenaChunk *c = a->first; c; c = c->next) n += c->size;
  return n;
}

/* Moves to the next kept chunk big enough, or appends a new one. */
void *pa_alloc_slow(PArena *a, size_t size) {
  /* Counted only when the move happens: a refused request changes nothing. */
  size_t used = a->used + (a->head ? (size_t)(a->ptr - a->head->data) : 0);
  if (size > SIZE_MAX / 2 || (a->limit && used + size > a->limit)) return NULL;
  PArenaChunk *prev = a->head;
  PArenaChunk *c = prev ? prev->next : a->first;
  while (c && c->size < size) {
    /* Too small for this request: skip it (it is reused after a reset). */
    prev = c;
    c = c->next;
  }
  if (!c) {
    size_t want = size > PA_MIN_CHUNK ? size : PA_MIN_CHUNK;
    c = malloc(sizeof(PArenaChunk) + want);
    if (!c) return NULL;
    c->size = want;
    c->next = NULL;
    if (prev) prev->next = c; else a->first = c;
  }
  a->used = used;
  a->head = c;
  a->ptr = c->data + size;
  a->end = c->data + c->size;
  return c->data;
}

void pa_rewind(PArena *a, PArenaMark m) {
  if (!m.head) { /* marked before the first chunk existed */
    pa_reset(a);
    return;
  }
  a->head = m.head;
  a->ptr = m.ptr;
  a->end = m.head->data + m.head->size;
  a->used = m.used;
}

char *pa_strndup(PArena *a, const char *s, size_t len) {
  char *p = pa_alloc(a, len + 1);
  if (!p) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}
