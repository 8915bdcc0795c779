"""Pure business rules: no I/O, no clock, no randomness. Time and ids are passed in."""
