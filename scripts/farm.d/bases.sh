step_bases() { detail "not yet"; return 10; }
