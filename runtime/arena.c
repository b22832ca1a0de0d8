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
  a->head = a->first;
  a->used = 0;
  if (a->head) {
    a->ptr = a->head->data;
    a->end = a->head->data + a->head->size;
  } else {
    a->ptr = a->end = NULL;
  }
}

/* Moves to the next kept chunk big enough, or appends a new one. */
static void *pa_grow(PArena *a, size_t size) {
  if (a->head) a->used += (size_t)(a->ptr - a->head->data);
  if (a->limit && a->used + size > a->limit) return NULL;
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
  a->head = c;
  a->ptr = c->data + size;
  a->end = c->data + c->size;
  return c->data;
}

void *pa_alloc(PArena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size == 0) size = 16;
  if ((size_t)(a->end - a->ptr) >= size && a->ptr) {
    void *p = a->ptr;
    a->ptr += size;
    return p;
  }
  return pa_grow(a, size);
}

char *pa_strndup(PArena *a, const char *s, size_t len) {
  char *p = pa_alloc(a, len + 1);
  if (!p) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}
