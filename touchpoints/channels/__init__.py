"""Channel backends: one module per backend, all behind `base.Backend`, looked up in `registry`."""
