"""What every entry point (the CLI, the benchmarks, the coming API) calls, none of them
importing another's module."""
