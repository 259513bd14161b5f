/* Start-up: a program that does nothing.  Its wall time is the fixed cost
 * of starting whatever runs it. */
int main(void) { return 0; }
