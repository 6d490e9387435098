#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "stack.h"
#include "ops.h"

static int find_op(const char *tok) {
  for (int i = 0; i < OP_COUNT; i++)
    if (tok[0] == OPS[i].symbol && tok[1] == '\0') return i;
  return -1;
}

double eval_rpn(const char *expr, int *ok) {
  struct stack s = { .n = 0 };
  char buf[256];
  strncpy(buf, expr, sizeof buf - 1);
  buf[sizeof buf - 1] = '\0';
  *ok = 1;
  for (char *tok = strtok(buf, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
    int op = find_op(tok);
    if (op < 0) {
      char *end;
      double x = strtod(tok, &end);
      if (*end != '\0' || !stack_push(&s, x)) { *ok = 0; return 0; }
      continue;
    }
    double a = 0, b = 0;
    if (OPS[op].arity == 2 && !stack_pop(&s, &b)) { *ok = 0; return 0; }
    if (!stack_pop(&s, &a)) { *ok = 0; return 0; }
    double r = 0;
    switch (op) {
      case OP_ADD: r = a + b; break;
      case OP_SUB: r = a - b; break;
      case OP_MUL: r = a * b; break;
      case OP_DIV: if (b == 0) { *ok = 0; return 0; } r = a / b; break;
      case OP_NEG: r = -a; break;
    }
    stack_push(&s, r);
  }
  double out;
  if (s.n != 1 || !stack_pop(&s, &out)) { *ok = 0; return 0; }
  return out;
}
