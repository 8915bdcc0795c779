"""The console's routes, one module per area; each exposes ``module()`` (a ConsoleModule)."""
