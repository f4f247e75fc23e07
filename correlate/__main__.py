"""`python -m correlate` runs the CLI."""

from correlate.cli import main

main()
