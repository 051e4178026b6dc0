step_sources() { detail "not yet"; return 10; }
