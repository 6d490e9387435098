#include "stack.h"
int stack_push(struct stack *s, double x) {
  if (s->n >= STACK_MAX) return 0;
  s->v[s->n++] = x;
  return 1;
}
int stack_pop(struct stack *s, double *x) {
  if (s->n <= 0) return 0;
  *x = s->v[--s->n];
  return 1;
}
