#ifndef EVAL_H
#define EVAL_H
/* Evaluate a reverse-Polish expression like "3 4 + 2 *"; sets *ok to 0 on error. */
double eval_rpn(const char *expr, int *ok);
#endif
