#include <stdio.h>
#include <math.h>
#include "eval.h"
static int failures = 0, passed = 0;
static void expect(const char *expr, double want, int want_ok) {
  int ok;
  double got = eval_rpn(expr, &ok);
  if (ok != want_ok || (ok && fabs(got - want) > 1e-9)) {
    printf("FAIL %-16s got %g (ok=%d), want %g (ok=%d)\n", expr, got, ok, want, want_ok);
    failures++;
  } else passed++;
}
int main(void) {
  expect("3 4 +", 7, 1);
  expect("3 4 + 2 *", 14, 1);
  expect("10 4 -", 6, 1);
  expect("1 2 /", 0.5, 1);
  expect("5 ~", -5, 1);
  expect("1 0 /", 0, 0);
  expect("1 +", 0, 0);
  expect("1 2", 0, 0);
  printf("%d checks ok, %d failed\n", passed, failures);
  return failures ? 1 : 0;
}
