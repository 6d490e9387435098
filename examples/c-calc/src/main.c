#include <stdio.h>
#include "eval.h"
/* calc "3 4 + 2 *" -> 14 */
int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: calc \"<rpn expression>\"\n"); return 2; }
  int ok;
  double r = eval_rpn(argv[1], &ok);
  if (!ok) { fprintf(stderr, "calc: invalid expression: %s\n", argv[1]); return 1; }
  printf("%g\n", r);
  return 0;
}
