// A perfectly good shared library that is not a plinth plugin: it has no entry symbol.
extern "C" __attribute__((visibility("default"))) int plinth_test_answer() { return 42; }
