"""The command line: the root group, one module per command, and the output helpers."""
