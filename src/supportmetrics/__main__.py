"""`python -m supportmetrics` runs the command line."""

from supportmetrics.cli import main

main()
